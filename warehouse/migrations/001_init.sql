-- Core tables: articles, why pages were rejected, one row per crawl or import run.
-- DuckLake has no PRIMARY KEY or UNIQUE constraints: each table's key is named in a comment and kept
-- unique by the code that writes it (delete + insert in one transaction, or an anti-join).

CREATE TABLE articles (
    id              VARCHAR NOT NULL,           -- key; hash of the canonical URL (or of the content when there is no URL)
    source          VARCHAR NOT NULL,           -- bbc, guardian, techcrunch, techradar, wccftech, reuters, or an import name
    url             VARCHAR,                    -- canonical URL without tracking parameters; NULL for imported rows without one
    title           VARCHAR NOT NULL,
    date_published  TIMESTAMPTZ,                -- UTC; NULL only for imported rows without a date
    text            VARCHAR NOT NULL,
    authors         VARCHAR[] NOT NULL,
    section         VARCHAR,
    tags            VARCHAR[] NOT NULL,
    language        VARCHAR,
    fetched_at      TIMESTAMPTZ NOT NULL,
    page_type       VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,           -- hash of the normalized text, for exact-duplicate detection
    word_count      INTEGER NOT NULL,
    run_id          VARCHAR,                    -- crawl_runs.run_id that stored it
    stored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE article_rejects (
    url         VARCHAR,
    source      VARCHAR,
    stage       VARCHAR NOT NULL,   -- parse, validate, normalize, filter, dedup, store
    reason      VARCHAR NOT NULL,   -- short and machine-readable: too_short, language, near_duplicate, ...
    detail      VARCHAR,            -- human-readable detail (which language, duplicate of which id, ...)
    "at"        TIMESTAMPTZ NOT NULL DEFAULT now(),
    run_id      VARCHAR
);

CREATE TABLE crawl_runs (
    run_id      VARCHAR NOT NULL,   -- key
    spider      VARCHAR NOT NULL,   -- spider name, or import:<file>
    started     TIMESTAMPTZ NOT NULL,
    finished    TIMESTAMPTZ,        -- NULL while running, or when the process died
    status      VARCHAR,            -- finished, shutdown, cancelled, ... (Scrapy's close reason)
    fetched     INTEGER,            -- responses downloaded (or rows read, for imports)
    stored      INTEGER,
    rejected    INTEGER,
    counts      JSON                -- {"stage/reason": n, ...}
);

-- MinHash signatures of stored articles, so near-duplicates are caught across runs too.
CREATE TABLE article_fingerprints (
    id          VARCHAR NOT NULL,   -- key
    minhash     UBIGINT[] NOT NULL
);
