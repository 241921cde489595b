-- Exact duplicates are dropped by dedup: a text is stored once.
SELECT content_hash, count(*) AS n FROM v_articles_clean GROUP BY content_hash HAVING count(*) > 1
