-- One published-anchor series per (topic, geo) serves every article with that topic: it spans the
-- ten years before its first anchor month to the month before its last, and each article's windows
-- are sliced from it, ending before the article's own publication month (int_topics_growth).
-- The view int_series_growth (one row per series) is gone: windows now depend on the article.
-- first_anchor_month..anchor_month is the range of publication months a published row serves
-- (rows written before this migration served one month: both equal). Fetch rows: both are the fetch month.

ALTER TABLE trend_series ADD COLUMN first_anchor_month DATE;
UPDATE trend_series SET first_anchor_month = anchor_month;  -- (SET NOT NULL after an UPDATE fails in one transaction: enrich trends always sets it)
DROP VIEW IF EXISTS int_series_growth;
