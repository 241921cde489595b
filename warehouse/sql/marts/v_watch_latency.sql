-- v_watch_latency: how early `newsalign watch` reported each signal.
-- Grain: one row per reported signal (watch_reports: one per article and detector).
-- first_seen: the start of the watch cycle whose crawl stored the article (the cycle that first saw it in a
-- feed or sitemap); since_published_s / since_first_seen_s: seconds from then to the report.
CREATE OR REPLACE VIEW v_watch_latency AS
WITH reported AS (
    SELECT
        r.article_id,
        r.detector,
        a.source,
        a.title,
        a.date_published AS published,
        (SELECT max(w.started) FROM stg_watch_cycles w WHERE w.started <= a.fetched_at) AS first_seen,
        r.reported_at
    FROM stg_watch_reports r
    JOIN stg_articles a ON a.id = r.article_id
)
SELECT
    *,
    epoch(reported_at) - epoch(published) AS since_published_s,
    epoch(reported_at) - epoch(first_seen) AS since_first_seen_s
FROM reported;
