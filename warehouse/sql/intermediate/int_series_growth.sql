-- int_series_growth: the windows of each stored series and what each trend rule says about them.
-- Grain: one row per answered trend_series row (status ok or empty; error rows count as not fetched).
-- Empty rows (Trends has no data for the topic) have NULL windows and never fire.
-- Windows are the last 36 / 60 / 120 monthly points (3, 5, 10 years) of the series; a partial last
-- month is dropped unless label_params.include_partial. g3/g5/g10 are the sums of the monthly interest
-- in each window, each rescaled so the window's own peak is 100 (as a separate Trends request for
-- that window would be) unless label_params.window_rescale = false. A window with no interest sums to 0.
-- `match_month` is the month articles join on: the anchor month for `published` series, NULL for
-- `fetch` series, of which only the newest per (topic, geo) is kept.
CREATE OR REPLACE VIEW int_series_growth AS
WITH series AS (
    SELECT
        s.topic, s.geo, s.anchor, s.anchor_month, s.status,
        CASE WHEN NOT p.include_partial AND s.partial[-1] THEN list_slice(s.interest, 1, len(s.interest) - 1)
             ELSE coalesce(s.interest, []) END AS v,
        p.window_rescale, p.rise_months, p.g5_over_g3, p.g10_over_g5, p.min_rise
    FROM trend_series AS s CROSS JOIN stg_label_params AS p
    WHERE s.status IN ('ok', 'empty')
    QUALIFY s.anchor = 'published' OR row_number() OVER (PARTITION BY s.topic, s.geo, s.anchor ORDER BY s.anchor_month DESC) = 1
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
growth AS (
    SELECT
        *,
        coalesce(CASE WHEN window_rescale THEN 100.0 * list_sum(w3) / nullif(list_max(w3), 0) ELSE list_sum(w3) END, 0)::DOUBLE AS g3,
        coalesce(CASE WHEN window_rescale THEN 100.0 * list_sum(w5) / nullif(list_max(w5), 0) ELSE list_sum(w5) END, 0)::DOUBLE AS g5,
        coalesce(CASE WHEN window_rescale THEN 100.0 * list_sum(w10) / nullif(list_max(w10), 0) ELSE list_sum(w10) END, 0)::DOUBLE AS g10
    FROM windows
)
SELECT
    topic, geo, anchor, anchor_month, status,
    CASE WHEN anchor = 'published' THEN anchor_month END AS match_month,
    len(v) AS months,
    CASE WHEN status = 'ok' THEN g3 END AS g3,
    CASE WHEN status = 'ok' THEN g5 END AS g5,
    CASE WHEN status = 'ok' THEN g10 END AS g10,
    recent_mean, prior_mean,
    -- The thesis's rule, read literally; a 1e-9 tolerance lets exact ties fire despite float rounding.
    status = 'ok' AND (g3 = 0 OR g5 >= g5_over_g3 * g3 - 1e-9) AND g5 > 0 AND g10 >= g10_over_g5 * g5 - 1e-9 AS thesis_fires,
    coalesce(recent_mean > 0 AND recent_mean >= (1 + min_rise) * prior_mean - 1e-9, false) AS rising_fires
FROM growth;
