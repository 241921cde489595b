-- v_signal: the training label. The automated label (int_topics_signal: gpt_signal and trend_signal
-- combined per label_params.signal_combiner) unless a person decided the article: with
-- label_params.human_labels = 'override' (the default) v_human_signal's answer wins, and an article a
-- person labelled is here even before its automated label is known; 'ignore' leaves people out.
-- label_source: which part made signal true (gpt, trend, both), none, or human (a person decided).
-- Grain: one row per labelled article.
CREATE OR REPLACE VIEW v_signal AS
WITH human AS (
    SELECT h.id, h.signal
    FROM v_human_signal AS h CROSS JOIN stg_label_params AS p
    WHERE p.human_labels = 'override'
)
SELECT
    coalesce(h.id, a.id)                                      AS id,
    coalesce(h.signal, a.signal)                              AS signal,
    a.gpt_signal,
    a.trend_signal,
    CASE WHEN h.id IS NOT NULL THEN 'human' ELSE a.label_source END AS label_source,
    CASE WHEN h.id IS NULL THEN a.label_rule
         ELSE 'human over ' || coalesce(a.label_rule, 'no automated label') END AS label_rule
FROM int_topics_signal AS a
FULL JOIN human AS h ON h.id = a.id;
