-- v_label_stats: how often each label fires and how much the labels agree (the thesis reported about
-- 10% gpt, 10% trend, 20% union). Over articles with both parts known; trend is label_params.trend_rule.
-- kappa is Cohen's kappa between gpt_signal and trend_signal (NULL when one of them never varies).
-- People's labels (v_human_signal) against each automated one: human_articles (with a human label),
-- then for gpt, trend and auto (int_topics_signal: the automated v_signal, before people override it)
-- human_<x>_n (articles where both are known), human_<x>_agreement and human_<x>_kappa (Cohen's).
-- Between people: over articles two or more annotators answered, the first two annotators by name:
-- inter_annotator_n, inter_annotator_agreement, inter_annotator_kappa (Cohen's).
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
),
ranked AS (
    SELECT article_id, signal::INTEGER AS v, row_number() OVER (PARTITION BY article_id ORDER BY annotator) AS r
    FROM int_human_latest
),
pairs AS (
    SELECT article_id, any_value(v) FILTER (WHERE r = 1) AS a, any_value(v) FILTER (WHERE r = 2) AS b
    FROM ranked
    GROUP BY article_id
),
people AS (
    SELECT
        a.source,
        strftime(date_trunc('month', a.date_published AT TIME ZONE 'UTC'), '%Y-%m') AS month,
        h.signal::INTEGER AS h,
        l.gpt_signal::INTEGER AS g,
        l.trend_signal::INTEGER AS t,
        s.signal::INTEGER AS s,
        p.a,
        p.b
    FROM pairs AS p
    JOIN stg_articles AS a ON a.id = p.article_id
    LEFT JOIN v_human_signal AS h ON h.id = p.article_id
    LEFT JOIN int_topics_labels AS l ON l.article_id = p.article_id
    LEFT JOIN int_topics_signal AS s ON s.id = p.article_id
),
people_rates AS (
    SELECT
        CASE WHEN grouping(source) = 0 THEN 'source' WHEN grouping(month) = 0 THEN 'month' ELSE 'all' END AS breakdown,
        coalesce(source, month) AS value,
        count(h) AS human_articles,
        count(*) FILTER (WHERE h IS NOT NULL AND g IS NOT NULL)     AS human_gpt_n,
        avg((h = g)::INTEGER)                                       AS human_gpt_agreement,
        avg(h) FILTER (WHERE g IS NOT NULL)                         AS hg_h,
        avg(g) FILTER (WHERE h IS NOT NULL)                         AS hg_g,
        count(*) FILTER (WHERE h IS NOT NULL AND t IS NOT NULL)     AS human_trend_n,
        avg((h = t)::INTEGER)                                       AS human_trend_agreement,
        avg(h) FILTER (WHERE t IS NOT NULL)                         AS ht_h,
        avg(t) FILTER (WHERE h IS NOT NULL)                         AS ht_t,
        count(*) FILTER (WHERE h IS NOT NULL AND s IS NOT NULL)     AS human_auto_n,
        avg((h = s)::INTEGER)                                       AS human_auto_agreement,
        avg(h) FILTER (WHERE s IS NOT NULL)                         AS hs_h,
        avg(s) FILTER (WHERE h IS NOT NULL)                         AS hs_s,
        count(b)                                                    AS inter_annotator_n,
        avg((a = b)::INTEGER)                                       AS inter_annotator_agreement,
        avg(a) FILTER (WHERE b IS NOT NULL)                         AS ab_a,
        avg(b)                                                      AS ab_b
    FROM people
    GROUP BY GROUPING SETS ((), (source), (month))
),
people_kappas AS (
    SELECT
        breakdown, value, human_articles,
        human_gpt_n, human_gpt_agreement,
        (human_gpt_agreement - (hg_h * hg_g + (1 - hg_h) * (1 - hg_g))) / nullif(1 - (hg_h * hg_g + (1 - hg_h) * (1 - hg_g)), 0) AS human_gpt_kappa,
        human_trend_n, human_trend_agreement,
        (human_trend_agreement - (ht_h * ht_t + (1 - ht_h) * (1 - ht_t))) / nullif(1 - (ht_h * ht_t + (1 - ht_h) * (1 - ht_t)), 0) AS human_trend_kappa,
        human_auto_n, human_auto_agreement,
        (human_auto_agreement - (hs_h * hs_s + (1 - hs_h) * (1 - hs_s))) / nullif(1 - (hs_h * hs_s + (1 - hs_h) * (1 - hs_s)), 0) AS human_auto_kappa,
        inter_annotator_n, inter_annotator_agreement,
        (inter_annotator_agreement - (ab_a * ab_b + (1 - ab_a) * (1 - ab_b))) / nullif(1 - (ab_a * ab_b + (1 - ab_a) * (1 - ab_b)), 0) AS inter_annotator_kappa
    FROM people_rates
)
SELECT
    coalesce(r.breakdown, k.breakdown) AS breakdown,
    coalesce(r.value, k.value)         AS value,
    coalesce(r.articles, 0)            AS articles,
    r.gpt_rate, r.trend_rate, r.union_rate, r.both_rate, r.agreement,
    (r.agreement - (r.gpt_rate * r.trend_rate + (1 - r.gpt_rate) * (1 - r.trend_rate)))
        / nullif(1 - (r.gpt_rate * r.trend_rate + (1 - r.gpt_rate) * (1 - r.trend_rate)), 0) AS kappa,
    coalesce(k.human_articles, 0) AS human_articles,
    coalesce(k.human_gpt_n, 0) AS human_gpt_n, k.human_gpt_agreement, k.human_gpt_kappa,
    coalesce(k.human_trend_n, 0) AS human_trend_n, k.human_trend_agreement, k.human_trend_kappa,
    coalesce(k.human_auto_n, 0) AS human_auto_n, k.human_auto_agreement, k.human_auto_kappa,
    coalesce(k.inter_annotator_n, 0) AS inter_annotator_n, k.inter_annotator_agreement, k.inter_annotator_kappa
FROM rates AS r
FULL JOIN people_kappas AS k ON k.breakdown = r.breakdown AND k.value IS NOT DISTINCT FROM r.value
ORDER BY breakdown, value;
