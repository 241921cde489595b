-- int_topics: each enriched article's LLM topics in order, as trend_series stores them (lower(trim(topic))).
-- Grain: one row per (article, topic position); rank 1 is the most specific topic.
-- The one place label views read LLM topics from (int_llm_results); swap the source here only.
CREATE OR REPLACE VIEW int_topics AS
WITH listed AS (
    SELECT
        r.article_id,
        unnest(r.topics) AS raw_topic,
        generate_subscripts(r.topics, 1) AS rank
    FROM int_llm_results AS r
)
SELECT
    l.article_id,
    l.rank,
    lower(trim(l.raw_topic)) AS topic,
    date_trunc('month', a.date_published AT TIME ZONE 'UTC')::DATE AS published_month
FROM listed AS l
JOIN articles AS a ON a.id = l.article_id
WHERE trim(l.raw_topic) <> '';
