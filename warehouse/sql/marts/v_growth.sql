-- v_growth: per article and scored topic, the interest over the last 3, 5 and 10 years (g3, g5, g10)
-- and whether each trend rule fires. See docs/labels.md for the window sums.
-- Grain: one row per (article, topic position <= label_params.topics_per_article).
CREATE OR REPLACE VIEW v_growth AS
SELECT article_id AS id, rank, topic, status, months, g3, g5, g10, recent_mean, prior_mean, thesis_fires, rising_fires
FROM int_topics_growth;
