-- stg_article_rejects: the article_rejects table as the views read it (no logic).
-- Grain: one row per rejection.
CREATE OR REPLACE VIEW stg_article_rejects AS
SELECT
    url,
    source,
    stage,
    reason,
    detail,
    "at",
    run_id
FROM article_rejects;
