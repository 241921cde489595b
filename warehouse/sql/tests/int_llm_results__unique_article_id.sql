-- One current LLM answer per article.
SELECT article_id, count(*) AS n FROM int_llm_results GROUP BY article_id HAVING count(*) > 1
