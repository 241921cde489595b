-- v_trend_rising: a rule that needs rising interest. A topic fires when the mean of its last
-- rise_months months is > 0 and >= (1 + min_rise) times the mean of the rise_months before; the
-- article fires when any (or a majority, per label_params.topic_combiner) of its scored topics does.
-- Grain: one row per article whose topics are all fetched (articles with pending topics are absent).
CREATE OR REPLACE VIEW v_trend_rising AS
SELECT article_id AS id, rising_signal AS trend_signal, topics_scored, rising_fired AS topics_fired
FROM int_topics_labels
WHERE rising_signal IS NOT NULL;
