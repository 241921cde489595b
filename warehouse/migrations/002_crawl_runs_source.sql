-- The source a run fed (the spider name for crawls, --source for imports), so per-source stats can
-- count what was fetched; NULL for an import whose rows name several sources.
ALTER TABLE crawl_runs ADD COLUMN source VARCHAR;
