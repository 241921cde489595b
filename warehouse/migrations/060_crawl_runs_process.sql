-- The machine and process of a run, so a later run on the same machine can tell a run that stopped
-- without finishing (killed, or its catalog lost) from one still running: the first it marks
-- status 'interrupted' (finished stays NULL: when it stopped is not known). NULL for older runs.
ALTER TABLE crawl_runs ADD COLUMN host VARCHAR;
ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
