-- A canonical URL is stored once (imported rows without a link have none).
SELECT url, count(*) AS n FROM v_articles_clean WHERE url IS NOT NULL GROUP BY url HAVING count(*) > 1
