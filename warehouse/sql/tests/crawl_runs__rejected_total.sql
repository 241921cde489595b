-- A finished run's rejected count is its rows in article_rejects.
SELECT run_id, rejected, (SELECT count(*) FROM article_rejects r WHERE r.run_id = c.run_id) AS recorded
FROM crawl_runs AS c
WHERE finished IS NOT NULL AND rejected <> recorded
