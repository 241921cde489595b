-- Every article names the crawl_runs row that stored it (or none).
SELECT id, run_id FROM articles WHERE run_id NOT IN (SELECT run_id FROM crawl_runs)
