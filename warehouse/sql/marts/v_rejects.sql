-- v_rejects: why pages and rows were dropped, with the run that dropped them.
-- Grain: one row per rejection (the same URL appears once per run that rejected it).
-- Ask "why was this dropped?": SELECT * FROM v_rejects WHERE url LIKE 'https://www.bbc.co.uk/news/x%'
CREATE OR REPLACE VIEW v_rejects AS
SELECT
    r.url,
    r.source,
    r.stage,                            -- parse, validate, normalize, filter, dedup, pipeline
    r.reason,
    r.stage || '/' || r.reason AS stage_reason,
    r.detail,
    r."at",
    r.run_id,
    c.spider                            -- spider name, or import:<file>
FROM stg_article_rejects r
LEFT JOIN stg_crawl_runs c USING (run_id);
