-- int_topics: each enriched article's LLM topics in order, as trend_series stores them (lower(trim(topic))).
-- Grain: one row per (article, non-blank topic position); rank 1 is the most specific topic.
-- The one place label views read LLM topics from (int_llm_results); swap the source here only.
CREATE OR REPLACE VIEW int_topics AS
WITH enriched AS (  -- the month is computed per article, before the topics multiply the rows
    SELECT
        r.article_id,
        r.topics,
        date_trunc('month', a.date_published AT TIME ZONE 'UTC')::DATE AS published_month
    FROM int_llm_results AS r
    JOIN stg_articles AS a ON a.id = r.article_id
),
listed AS (
    SELECT
        article_id,
        published_month,
        lower(trim(unnest(topics))) AS topic,
        generate_subscripts(topics, 1) AS rank
    FROM enriched
)
SELECT article_id, rank, topic, published_month
FROM listed
WHERE topic <> '';
