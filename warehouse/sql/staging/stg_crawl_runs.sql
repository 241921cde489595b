-- stg_crawl_runs: the crawl_runs table as the views read it (no logic).
-- Grain: one row per crawl or import run.
CREATE OR REPLACE VIEW stg_crawl_runs AS
SELECT
    run_id,
    spider,
    source,
    started,
    finished,
    status,
    fetched,
    stored,
    rejected
FROM crawl_runs;
