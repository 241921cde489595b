-- int_topics_labels: both labels of each LLM-enriched article, before they are combined.
-- Grain: one row per article in int_llm_results.
-- topics: the LLM's topics as it wrote them; gpt_signal: its answer. thesis_signal / rising_signal: whether any (or a majority, per
-- label_params.topic_combiner) of the article's scored topics fires that rule. A trend label is NULL
-- (unknown) while any of the article's first topics_per_article topics is pending, or when the
-- article has no topics; a topic Trends has no data for is not scored, and an article whose
-- topics are all unscored gets false. trend_signal is the rule named by label_params.trend_rule.
CREATE OR REPLACE VIEW int_topics_labels AS
WITH per_article AS (
    SELECT
        article_id,
        count(*)                                  AS topics_looked_up,
        count(*) FILTER (WHERE status = 'ok')      AS topics_scored,
        count(*) FILTER (WHERE status = 'pending') AS topics_pending,
        count(*) FILTER (WHERE thesis_fires)       AS thesis_fired,
        count(*) FILTER (WHERE rising_fires)       AS rising_fired
    FROM int_topics_growth
    GROUP BY article_id
),
labelled AS (
    SELECT
        r.article_id,
        a.source,
        date_trunc('month', a.date_published AT TIME ZONE 'UTC')::DATE AS published_month,
        r.topics,
        r.gpt_signal,
        coalesce(g.topics_looked_up, 0) AS topics_looked_up,
        coalesce(g.topics_scored, 0)    AS topics_scored,
        coalesce(g.topics_pending, 0)   AS topics_pending,
        coalesce(g.thesis_fired, 0)     AS thesis_fired,
        coalesce(g.rising_fired, 0)     AS rising_fired,
        g.topics_looked_up > 0 AND g.topics_pending = 0 AS trend_known,
        p.topic_combiner,
        p.trend_rule
    FROM int_llm_results AS r
    JOIN stg_articles AS a ON a.id = r.article_id
    CROSS JOIN stg_label_params AS p
    LEFT JOIN per_article AS g ON g.article_id = r.article_id
)
SELECT
    article_id, source, published_month, topics, gpt_signal,
    topics_looked_up, topics_scored, topics_pending, thesis_fired, rising_fired,
    CASE WHEN NOT coalesce(trend_known, false) THEN NULL
         WHEN topic_combiner = 'any' THEN thesis_fired > 0
         ELSE 2 * thesis_fired > topics_scored END AS thesis_signal,
    CASE WHEN NOT coalesce(trend_known, false) THEN NULL
         WHEN topic_combiner = 'any' THEN rising_fired > 0
         ELSE 2 * rising_fired > topics_scored END AS rising_signal,
    CASE trend_rule WHEN 'thesis' THEN thesis_signal ELSE rising_signal END AS trend_signal
FROM labelled;
