-- v_gpt_signal: the LLM's investment-signal answer.
-- Grain: one row per article with a current LLM answer.
CREATE OR REPLACE VIEW v_gpt_signal AS
SELECT article_id AS id, gpt_signal
FROM int_topics_labels
WHERE gpt_signal IS NOT NULL;
