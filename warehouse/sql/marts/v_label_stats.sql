-- v_label_stats: how often each label fires and how much the two agree (the thesis reported about
-- 10% gpt, 10% trend, 20% union). Over articles with both parts known; trend is label_params.trend_rule.
-- kappa is Cohen's kappa between gpt_signal and trend_signal (NULL when one of them never varies).
-- Grain: one row per breakdown value: breakdown = 'all' (value NULL), 'source' (value = source),
-- 'month' (value = 'YYYY-MM' of publication).
CREATE OR REPLACE VIEW v_label_stats AS
WITH known AS (
    SELECT source, strftime(published_month, '%Y-%m') AS month, gpt_signal::INTEGER AS g, trend_signal::INTEGER AS t
    FROM int_topics_labels
    WHERE gpt_signal IS NOT NULL AND trend_signal IS NOT NULL
),
rates AS (
    SELECT
        CASE WHEN grouping(source) = 0 THEN 'source' WHEN grouping(month) = 0 THEN 'month' ELSE 'all' END AS breakdown,
        coalesce(source, month) AS value,
        count(*)              AS articles,
        avg(g)                AS gpt_rate,
        avg(t)                AS trend_rate,
        avg(greatest(g, t))   AS union_rate,
        avg(g * t)            AS both_rate,
        avg((g = t)::INTEGER) AS agreement
    FROM known
    GROUP BY GROUPING SETS ((), (source), (month))
)
SELECT
    *,
    (agreement - (gpt_rate * trend_rate + (1 - gpt_rate) * (1 - trend_rate)))
        / nullif(1 - (gpt_rate * trend_rate + (1 - gpt_rate) * (1 - trend_rate)), 0) AS kappa
FROM rates
ORDER BY breakdown, value;
