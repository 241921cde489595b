-- stg_human_labels: the human_labels table as the views read it (no logic).
-- Grain: one row per decision made on the review page.
CREATE OR REPLACE VIEW stg_human_labels AS
SELECT decision_id, article_id, annotator, decision, queue, decided_at, seconds, undone_at
FROM human_labels;
