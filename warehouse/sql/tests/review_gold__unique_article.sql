-- The gold sample holds an article once, at one position, drawn with one seed.
SELECT article_id, count(*) AS n FROM review_gold GROUP BY article_id HAVING count(*) > 1
UNION ALL
SELECT 'seeds', count(DISTINCT seed) FROM review_gold HAVING count(DISTINCT seed) > 1
