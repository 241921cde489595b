-- Every article id once.
SELECT id, count(*) AS n FROM v_articles_clean GROUP BY id HAVING count(*) > 1 OR id IS NULL
