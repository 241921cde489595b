-- stg_trend_series: the trend_series table as the views read it (no logic).
-- Grain: one row per fetched series (topic, geo, anchor, anchor_month).
CREATE OR REPLACE VIEW stg_trend_series AS
SELECT
    topic,
    geo,
    anchor,
    first_anchor_month,
    anchor_month,
    backend,
    status,
    months,
    interest,
    partial,
    error,
    fetched_at
FROM trend_series;
