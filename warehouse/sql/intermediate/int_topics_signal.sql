-- int_topics_signal: the automated label, before any person's decision (v_signal adds those). signal combines gpt_signal and trend_signal (the rule named by
-- label_params.trend_rule) per label_params.signal_combiner: or (the thesis) | and | gpt | trend.
-- An article is absent until every part its combiner needs is known: no LLM answer, or (for or, and,
-- trend) a topic still pending in Trends, keeps it out rather than guessing a negative.
-- label_source: which part made signal true (gpt, trend, both), or none.
-- Grain: one row per labelled article.
CREATE OR REPLACE VIEW int_topics_signal AS
WITH parts AS (
    SELECT l.article_id, l.gpt_signal, l.trend_signal, p.signal_combiner AS combiner, p.trend_rule, p.topic_combiner
    FROM int_topics_labels AS l CROSS JOIN stg_label_params AS p
),
combined AS (
    SELECT
        *,
        CASE combiner
            WHEN 'or'  THEN gpt_signal OR trend_signal
            WHEN 'and' THEN gpt_signal AND trend_signal
            WHEN 'gpt' THEN gpt_signal
            ELSE trend_signal
        END AS signal,
        CASE combiner
            WHEN 'gpt'   THEN gpt_signal IS NOT NULL
            WHEN 'trend' THEN trend_signal IS NOT NULL
            ELSE gpt_signal IS NOT NULL AND trend_signal IS NOT NULL
        END AS known
    FROM parts
)
SELECT
    article_id AS id,
    signal,
    gpt_signal,
    trend_signal,
    CASE WHEN NOT signal THEN 'none'
         WHEN combiner = 'gpt' THEN 'gpt'
         WHEN combiner = 'trend' THEN 'trend'
         WHEN gpt_signal AND trend_signal THEN 'both'
         WHEN gpt_signal THEN 'gpt'
         ELSE 'trend' END AS label_source,
    combiner || ' of gpt, trend:' || trend_rule || '/' || topic_combiner AS label_rule
FROM combined
WHERE known;
