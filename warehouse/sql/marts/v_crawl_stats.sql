-- v_crawl_stats: what each source's crawls (and imports) fetched, kept and dropped, and why.
-- Grain: one row per source (sources seen in crawl_runs, articles or article_rejects).
-- fetched: responses downloaded by the source's crawls (robots.txt and index pages included) plus rows
--   read by imports run with --source; stored: live articles in the warehouse now (not superseded); rejected: rejections
--   recorded over all runs; rejected_by_reason: {'stage/reason': n}, largest first.
CREATE OR REPLACE VIEW v_crawl_stats AS
WITH runs AS (
    SELECT source, count(*) AS runs, sum(fetched)::BIGINT AS fetched, max(started) AS last_run
    FROM stg_crawl_runs
    WHERE source IS NOT NULL
    GROUP BY source
),
stored AS (
    SELECT source, count(*) AS stored FROM stg_articles WHERE superseded_by IS NULL GROUP BY source
),
reasons AS (
    SELECT source, stage || '/' || reason AS stage_reason, count(*) AS n
    FROM stg_article_rejects
    GROUP BY ALL
),
rejected AS (
    SELECT source, sum(n)::BIGINT AS rejected, map_from_entries(list((stage_reason, n) ORDER BY n DESC, stage_reason)) AS rejected_by_reason
    FROM reasons
    GROUP BY source
),
sources AS (
    SELECT source FROM runs UNION SELECT source FROM stored UNION SELECT source FROM rejected
)
SELECT
    s.source,
    coalesce(runs.runs, 0)                              AS runs,
    coalesce(runs.fetched, 0)                           AS fetched,
    coalesce(stored.stored, 0)                          AS stored,
    coalesce(rejected.rejected, 0)                      AS rejected,
    coalesce(rejected.rejected_by_reason, MAP {})       AS rejected_by_reason,
    runs.last_run
FROM sources s
LEFT JOIN runs USING (source)
LEFT JOIN stored USING (source)
LEFT JOIN rejected USING (source)
ORDER BY s.source NULLS LAST;
