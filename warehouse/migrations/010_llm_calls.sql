-- LLM enrichment: every call made (or replayed), and the Batch API jobs in flight.

CREATE TABLE llm_calls (
    call_id           BIGINT NOT NULL DEFAULT epoch_us(now()),  -- key, increasing: microseconds since 1970 (newsalign makes them unique per process)
    cache_key         VARCHAR NOT NULL,   -- sha256 of model, prompt version + text hash, article id, content hash, title, parameters
    article_id        VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,   -- articles.content_hash the answer is for
    model             VARCHAR NOT NULL,
    prompt_version    VARCHAR NOT NULL,
    mode              VARCHAR NOT NULL,   -- live, batch, recorded (sample answers replayed from a file, e.g. by the demo)
    status            VARCHAR NOT NULL,   -- ok, or error (an error is retried by the next run)
    error             VARCHAR,            -- one line: what went wrong
    flags             VARCHAR[] NOT NULL, -- refusal, truncated, malformed_json, schema, empty_topics, non_english, topic_count, timeout, http_429, ...
    topics            VARCHAR[],          -- the parsed answer: 10 topics, most specific first
    signal            BOOLEAN,
    rationale         VARCHAR,
    request           JSON NOT NULL,      -- model, messages and parameters as sent; never the API key or headers
    response          JSON,               -- the raw chat completion body, or the error body
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cost_usd          DOUBLE,             -- estimate from the price table; NULL when the model's price is unknown
    latency_s         DOUBLE,             -- wall time of the call including the SDK's retries (NULL for batch/recorded)
    batch_id          VARCHAR,            -- llm_batches.batch_id for mode = batch
    note              VARCHAR,            -- e.g. which file recorded answers came from
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE llm_batches (
    batch_id        VARCHAR NOT NULL,     -- key: the Batch API's id
    model           VARCHAR NOT NULL,
    prompt_version  VARCHAR NOT NULL,
    input_file_id   VARCHAR NOT NULL,
    output_file_id  VARCHAR,
    error_file_id   VARCHAR,
    status          VARCHAR NOT NULL,     -- the API's status (validating, in_progress, completed, failed, expired, ...), or collected
    request_count   INTEGER NOT NULL,
    submitted_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ
);

-- What each submitted batch asked, so results are matched (custom_id = cache_key) after a restart.
CREATE TABLE llm_batch_requests (
    batch_id        VARCHAR NOT NULL,
    cache_key       VARCHAR NOT NULL,
    article_id      VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    request         JSON NOT NULL   -- key: (batch_id, cache_key)
);
