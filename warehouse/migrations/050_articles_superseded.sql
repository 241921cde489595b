-- A near-duplicate found after it was stored (an earlier copy arrived later, or another crawl stored one
-- at the same time) is marked, not deleted: what enrichment or an export already used stays reachable.
-- NULL for a live article; else the id of the copy kept. v_articles_clean and the labels leave them out.
ALTER TABLE articles ADD COLUMN superseded_by VARCHAR;
