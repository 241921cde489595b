-- Conditional requests (pipeline/conditional.py): the validators a feed or sitemap last answered with.
-- Grain: one row per URL (rewritten whole when the URL answers again). Written when a crawl ends with
-- every article it found fetched, so a killed crawl re-reads its feeds in full next time.
CREATE TABLE http_validators (
    url            VARCHAR NOT NULL,
    etag           VARCHAR,
    last_modified  VARCHAR,
    updated_at     TIMESTAMPTZ NOT NULL
);

-- `newsalign watch` (jobs/watch/): one row per cycle, written when it starts and completed when it ends.
CREATE TABLE watch_cycles (
    cycle_id     VARCHAR NOT NULL,
    started      TIMESTAMPTZ NOT NULL,
    finished     TIMESTAMPTZ,
    status       VARCHAR,              -- finished, failed, interrupted (NULL while running or killed)
    model        VARCHAR,              -- the model's content hash, NULL when the LLM's signal is the detector
    detail       JSON                  -- per source: stored, rejected, download failures; steps' summaries
);

-- The ledger: each signal reported once. Grain: one row per (article_id, detector).
CREATE TABLE watch_reports (
    article_id   VARCHAR NOT NULL,
    detector     VARCHAR NOT NULL,     -- a model's content hash, or 'llm'
    score        DOUBLE,
    cycle_id     VARCHAR NOT NULL,     -- the cycle that reported it
    reported_at  TIMESTAMPTZ NOT NULL
);

-- Each report's delivery per channel (terminal, jsonl:<file>, webhook:<url>), pending until delivered.
-- Grain: one row per (article_id, detector, channel) and state change, the latest one current.
CREATE TABLE watch_deliveries (
    article_id   VARCHAR NOT NULL,
    detector     VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,     -- pending, delivered, failed (tried again next cycle)
    attempts     INTEGER NOT NULL,
    error        VARCHAR,
    recorded_at  TIMESTAMPTZ NOT NULL
);
