-- `newsalign crawl ccnews` (jobs/ccnews/): one row per attempt at one CC-NEWS WARC file, inserted as
-- 'running' when a worker starts it and completed when it ends: 'finished' (read to the end, its
-- articles committed first) or 'failed' (fetch failed, file cut or corrupt; `error` says why).
-- A re-run skips the paths with a 'finished' row; a row left 'running' (the process was killed) is
-- read again, and articles are upserted by id, so nothing is stored twice. Grain: one row per attempt.
CREATE TABLE ccnews_files (
    path        VARCHAR NOT NULL,           -- crawl-data/CC-NEWS/... or the local file given with --warc
    status      VARCHAR NOT NULL,           -- running, finished, failed
    run_id      VARCHAR,                    -- crawl_runs.run_id of the worker process
    host        VARCHAR,
    pid         INTEGER,
    started     TIMESTAMPTZ NOT NULL,
    finished    TIMESTAMPTZ,
    bytes       BIGINT,                     -- compressed bytes read
    records     BIGINT,                     -- WARC records read
    ours        BIGINT,                     -- responses of the chosen sources' hosts
    stored      BIGINT,                     -- of those, articles the pipelines accepted
    error       VARCHAR
);
