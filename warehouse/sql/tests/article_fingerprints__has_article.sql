-- ... and none without one.
SELECT id FROM article_fingerprints ANTI JOIN articles USING (id)
