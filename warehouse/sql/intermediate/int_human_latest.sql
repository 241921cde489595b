-- int_human_latest: each annotator's standing answer on each article: their latest decision that is
-- neither undone nor a skip, on an article still live (not superseded, not deleted).
-- gold: whether the article was decided (by anyone, skips aside) in the gold queue.
-- Grain: one row per (article, annotator).
CREATE OR REPLACE VIEW int_human_latest AS
WITH standing AS (
    SELECT
        h.article_id,
        h.annotator,
        h.decision = 'signal' AS signal,
        h.queue,
        h.decided_at,
        row_number() OVER (PARTITION BY h.article_id, h.annotator ORDER BY h.decided_at DESC, h.decision_id DESC) AS n
    FROM stg_human_labels AS h
    JOIN stg_articles AS a ON a.id = h.article_id AND a.superseded_by IS NULL
    WHERE h.undone_at IS NULL AND h.decision IN ('signal', 'not')
)
SELECT
    article_id,
    annotator,
    signal,
    queue,
    decided_at,
    bool_or(queue = 'gold') OVER (PARTITION BY article_id) AS gold
FROM standing
WHERE n = 1;
