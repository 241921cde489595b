-- int_topics_growth: the growth of each of an article's scored topics, from the series of its anchor.
-- Grain: one row per (article, topic position <= label_params.topics_per_article).
-- The series is the topic's answered series (status ok or empty; error rows count as not fetched) for
-- label_params.geo and label_params.anchor. `published`: the newest series whose publication-month range
-- (first_anchor_month..anchor_month) covers the article's month; the article's windows are its last
-- 36 / 60 / 120 monthly points (3, 5, 10 years) *before the publication month*, so nothing after
-- publication is read, however far the shared series runs. `fetch`: the newest fetch series, whole.
-- A partial last month is dropped unless label_params.include_partial. g3/g5/g10 are the sums of the
-- monthly interest in each window, each rescaled so the window's own peak is 100 (as a separate Trends
-- request for that window would be) unless label_params.window_rescale = false. A window with no
-- interest sums to 0. Windows are computed once per (topic, publication month), then joined to articles.
-- status: ok (scored) | empty (Trends has no data: not scored, never fires) | pending (not fetched yet, or failed).
CREATE OR REPLACE VIEW int_topics_growth AS
WITH needed AS (  -- anchor_month: the publication month (published) or NULL (fetch)
    SELECT DISTINCT t.topic, CASE WHEN p.anchor = 'published' THEN t.published_month END AS anchor_month
    FROM int_topics AS t CROSS JOIN stg_label_params AS p
    WHERE t.rank <= p.topics_per_article AND (p.anchor = 'fetch' OR t.published_month IS NOT NULL)
),
matched AS (  -- the series each (topic, month) reads
    SELECT n.topic, n.anchor_month, s.status, s.months, s.interest, s.partial
    FROM needed AS n
    CROSS JOIN stg_label_params AS p
    JOIN stg_trend_series AS s
      ON s.topic = n.topic AND s.geo = p.geo AND s.anchor = p.anchor AND s.status IN ('ok', 'empty')
     AND (p.anchor = 'fetch' OR n.anchor_month BETWEEN s.first_anchor_month AND s.anchor_month)
    QUALIFY row_number() OVER (PARTITION BY n.topic, n.anchor_month ORDER BY s.fetched_at DESC, s.anchor_month DESC) = 1
),
cut AS (  -- n: the points before the publication month (published) or all of them (fetch)
    SELECT
        m.*,
        coalesce(CASE WHEN m.anchor_month IS NULL THEN len(m.interest)
                      ELSE least(len(m.interest), greatest(date_diff('month', m.months[1], m.anchor_month), 0)) END, 0) AS n,
        p.include_partial, p.window_rescale, p.rise_months, p.g5_over_g3, p.g10_over_g5, p.min_rise
    FROM matched AS m CROSS JOIN stg_label_params AS p
),
series AS (
    SELECT *, list_slice(coalesce(interest, []), 1, CASE WHEN n > 0 AND NOT include_partial AND partial[n] THEN n - 1 ELSE n END) AS v
    FROM cut
),
windows AS (
    SELECT
        *,
        list_slice(v, greatest(len(v) - 35, 1), len(v))  AS w3,
        list_slice(v, greatest(len(v) - 59, 1), len(v))  AS w5,
        list_slice(v, greatest(len(v) - 119, 1), len(v)) AS w10,
        list_avg(list_slice(v, greatest(len(v) - rise_months + 1, 1), len(v))) AS recent_mean,
        CASE WHEN len(v) >= 2 * rise_months
             THEN list_avg(list_slice(v, len(v) - 2 * rise_months + 1, len(v) - rise_months)) END AS prior_mean
    FROM series
),
sums AS (
    SELECT
        *,
        coalesce(CASE WHEN window_rescale THEN 100.0 * list_sum(w3) / nullif(list_max(w3), 0) ELSE list_sum(w3) END, 0)::DOUBLE AS s3,
        coalesce(CASE WHEN window_rescale THEN 100.0 * list_sum(w5) / nullif(list_max(w5), 0) ELSE list_sum(w5) END, 0)::DOUBLE AS s5,
        coalesce(CASE WHEN window_rescale THEN 100.0 * list_sum(w10) / nullif(list_max(w10), 0) ELSE list_sum(w10) END, 0)::DOUBLE AS s10
    FROM windows
),
growth AS (
    SELECT
        topic, anchor_month, status,
        len(w10) AS months,                 -- points in the 10-year window
        CASE WHEN status = 'ok' THEN s3 END AS g3,
        CASE WHEN status = 'ok' THEN s5 END AS g5,
        CASE WHEN status = 'ok' THEN s10 END AS g10,
        recent_mean, prior_mean,
        -- The thesis's rule, read literally; a 1e-9 tolerance lets exact ties fire despite float rounding.
        status = 'ok' AND (s3 = 0 OR s5 >= g5_over_g3 * s3 - 1e-9) AND s5 > 0 AND s10 >= g10_over_g5 * s5 - 1e-9 AS thesis_fires,
        coalesce(recent_mean > 0 AND recent_mean >= (1 + min_rise) * prior_mean - 1e-9, false) AS rising_fires
    FROM sums
)
SELECT
    t.article_id,
    t.rank,
    t.topic,
    coalesce(g.status, 'pending') AS status,
    g.months,
    g.g3,
    g.g5,
    g.g10,
    g.recent_mean,
    g.prior_mean,
    coalesce(g.thesis_fires, false) AS thesis_fires,
    coalesce(g.rising_fires, false) AS rising_fires
FROM int_topics AS t
CROSS JOIN stg_label_params AS p
LEFT JOIN growth AS g
  ON g.topic = t.topic AND g.anchor_month IS NOT DISTINCT FROM CASE WHEN p.anchor = 'published' THEN t.published_month END
WHERE t.rank <= p.topics_per_article;
