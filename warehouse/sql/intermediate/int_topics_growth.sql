-- int_topics_growth: the growth of each of an article's scored topics, from the series of its anchor.
-- Grain: one row per (article, topic position <= label_params.topics_per_article).
-- The series is the one for the topic, label_params.geo and label_params.anchor: for `published`, the
-- series anchored at the article's publication month; for `fetch`, the newest fetch-anchored series.
-- status: ok (scored) | empty (Trends has no data: not scored) | pending (not fetched yet, or failed).
CREATE OR REPLACE VIEW int_topics_growth AS
SELECT
    t.article_id,
    t.rank,
    t.topic,
    coalesce(s.status, 'pending') AS status,
    s.months,
    s.g3,
    s.g5,
    s.g10,
    s.recent_mean,
    s.prior_mean,
    coalesce(s.thesis_fires, false) AS thesis_fires,
    coalesce(s.rising_fires, false) AS rising_fires
FROM int_topics AS t
CROSS JOIN stg_label_params AS p
LEFT JOIN int_series_growth AS s
  ON s.topic = t.topic
 AND s.geo = p.geo
 AND s.anchor = p.anchor
 AND coalesce(s.match_month, DATE '0001-01-01')
   = coalesce(CASE WHEN p.anchor = 'published' THEN t.published_month END, DATE '0001-01-01')
WHERE t.rank <= p.topics_per_article;
