-- v_trend_signal: the thesis's trend rule. A topic fires when g5 >= g5_over_g3 * g3 (or g3 = 0),
-- g5 > 0 and g10 >= g10_over_g5 * g5; the article fires when any (or a majority, per
-- label_params.topic_combiner) of its scored topics does. Read literally this fires for flat or
-- falling interest (a flat series gives g5/g3 = 5/3, g10/g5 = 2): see v_trend_rising.
-- Grain: one row per article whose topics are all fetched (articles with pending topics are absent).
CREATE OR REPLACE VIEW v_trend_signal AS
SELECT article_id AS id, thesis_signal AS trend_signal, topics_scored, thesis_fired AS topics_fired
FROM int_topics_labels
WHERE thesis_signal IS NOT NULL;
