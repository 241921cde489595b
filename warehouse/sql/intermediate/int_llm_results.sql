-- int_llm_results: the current LLM answer per stored article.
-- Grain: one row per article that has a successful call for its current text (articles without one are absent).
-- "Current" = the newest ok call whose content_hash matches the article's text now; model and
-- prompt_version say which model and prompt produced it (filter llm_calls yourself to compare models).
CREATE OR REPLACE VIEW int_llm_results AS
SELECT
    a.id            AS article_id,
    c.topics,                           -- VARCHAR[]: 10 topics, most specific first
    c.signal        AS gpt_signal,      -- early, not yet widely known innovative event that is an investment opportunity
    c.rationale,
    c.model,
    c.prompt_version,
    c.mode,                             -- live, batch, or recorded (sample answers, e.g. the demo)
    c.call_id,
    c.created_at
FROM stg_articles AS a
JOIN stg_llm_calls AS c
  ON c.article_id = a.id AND c.content_hash = a.content_hash AND c.status = 'ok'
WHERE a.superseded_by IS NULL
QUALIFY row_number() OVER (PARTITION BY a.id ORDER BY c.created_at DESC, c.call_id DESC) = 1;
