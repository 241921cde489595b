-- `newsalign score` (training/predict.py): a trained model's verdict on stored articles.
-- Grain: one row per (article_id, model_hash); the scorer never writes a pair twice (it skips scored
-- pairs and inserts each batch in one transaction that re-checks them).
CREATE TABLE predictions (
    article_id   VARCHAR NOT NULL,
    model        VARCHAR NOT NULL,      -- the model folder as given (resolved path)
    model_hash   VARCHAR NOT NULL,      -- sha256 over the folder's files (names and contents)
    score        DOUBLE NOT NULL,       -- raw P(signal) from the answers' log-probs, as `evaluate` scores
    probability  DOUBLE NOT NULL,       -- calibrated P(signal) (= score without a calibration)
    threshold    DOUBLE NOT NULL,       -- the decision threshold applied to `score`
    signal       BOOLEAN NOT NULL,      -- score > threshold (as `evaluate` decides)
    scored_at    TIMESTAMPTZ NOT NULL
);
