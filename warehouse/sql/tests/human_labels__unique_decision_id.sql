-- decision_id is the key of human_labels.
SELECT decision_id, count(*) AS n FROM human_labels GROUP BY decision_id HAVING count(*) > 1 OR decision_id IS NULL
