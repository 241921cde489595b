-- `newsalign crawl plan` (jobs/plan/): a backfill split into one Scrapyd job per (source, window).
-- One row per window a job crawled to the end (Scrapy's close reason `finished`), written by the job
-- itself after its run row is complete: a re-run of the plan skips these windows, and a job that ended
-- without its row (killed, lost with its node) is queued again. Grain: one row per finished job.
CREATE TABLE crawl_windows (
    source      VARCHAR NOT NULL,
    since       DATE NOT NULL,
    until       DATE NOT NULL,
    job         VARCHAR,                    -- the Scrapyd job id
    run_id      VARCHAR,                    -- crawl_runs.run_id of the job's crawl
    finished    TIMESTAMPTZ NOT NULL
);
-- One row per running planner, its heartbeat renewed while it runs; a second plan on the same lake
-- that finds a live one refuses to start (so no site gets two plans' jobs at once).
CREATE TABLE crawl_plan_leases (
    plan_id     VARCHAR NOT NULL,
    host        VARCHAR,
    pid         INTEGER,
    started     TIMESTAMPTZ NOT NULL,
    heartbeat   TIMESTAMPTZ NOT NULL
);
