-- stg_llm_calls: the llm_calls table as the views read it (no logic; the raw request and response stay in the table).
-- Grain: one row per LLM call (answered, failed or recorded).
CREATE OR REPLACE VIEW stg_llm_calls AS
SELECT
    call_id,
    article_id,
    content_hash,
    model,
    prompt_version,
    mode,
    status,
    error,
    flags,
    topics,
    signal,
    rationale,
    prompt_tokens,
    completion_tokens,
    cost_usd,
    created_at
FROM llm_calls;
