-- `newsalign score` writes each (article, model) once.
SELECT article_id, model_hash, count(*) AS n FROM stg_predictions GROUP BY article_id, model_hash HAVING count(*) > 1
