-- `newsalign watch` reports each signal once per detector.
SELECT article_id, detector, count(*) AS n FROM stg_watch_reports GROUP BY article_id, detector HAVING count(*) > 1
