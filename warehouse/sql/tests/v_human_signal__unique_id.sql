-- One people's label per article.
SELECT id, count(*) AS n FROM v_human_signal GROUP BY id HAVING count(*) > 1 OR id IS NULL
