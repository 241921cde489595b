-- stg_predictions: the predictions table (`newsalign score`) as the views and audits read it (no logic).
-- Grain: one row per (article_id, model_hash).
CREATE OR REPLACE VIEW stg_predictions AS
SELECT
    article_id,
    model,
    model_hash,
    score,
    probability,
    threshold,
    signal,
    scored_at
FROM predictions;
