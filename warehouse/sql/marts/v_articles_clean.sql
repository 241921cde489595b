-- v_articles_clean: the stored articles, with the columns training, enrichment and labels need.
-- Grain: one row per stored article (id unique; every row passed validate, normalize, filter and dedup).
-- url and date_published are NULL only for imported rows from dumps without links or dates.
CREATE OR REPLACE VIEW v_articles_clean AS
SELECT * EXCLUDE (stored_at, superseded_by)
FROM stg_articles
WHERE superseded_by IS NULL;  -- a near-duplicate marked after it was stored
