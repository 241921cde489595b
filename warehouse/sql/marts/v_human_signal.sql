-- v_human_signal: people's label of an article: the majority of the annotators' standing answers
-- (int_human_latest). An article whose annotators split evenly is left out (no majority, no label).
-- annotators: how many answered; agreement: the share of them who gave the majority answer;
-- gold: the article is in the gold (evaluation) set.
-- Grain: one row per article with at least one non-skip decision and a majority.
CREATE OR REPLACE VIEW v_human_signal AS
WITH votes AS (
    SELECT
        article_id,
        count(*)                         AS annotators,
        count(*) FILTER (WHERE signal)   AS yes,
        bool_or(gold)                    AS gold
    FROM int_human_latest
    GROUP BY article_id
)
SELECT
    article_id AS id,
    2 * yes > annotators AS signal,
    annotators,
    greatest(yes, annotators - yes) / annotators AS agreement,
    gold
FROM votes
WHERE 2 * yes <> annotators;
