-- stg_articles: the articles table as the views read it (no logic).
-- Grain: one row per stored article.
CREATE OR REPLACE VIEW stg_articles AS
SELECT
    id,
    source,
    url,
    title,
    date_published,
    text,
    authors,
    section,
    tags,
    language,
    word_count,
    content_hash,
    fetched_at,
    page_type,
    run_id,
    stored_at,
    superseded_by
FROM articles;
