-- stg_watch_reports: the watch_reports table (the ledger of reported signals) as the views read it (no logic).
-- Grain: one row per (article_id, detector).
CREATE OR REPLACE VIEW stg_watch_reports AS
SELECT
    article_id,
    detector,
    score,
    cycle_id,
    reported_at
FROM watch_reports;
