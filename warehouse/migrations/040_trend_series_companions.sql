-- Several topics share one Trends request (up to five terms compared in one request).
-- companions: the other topics of the request a series came from ([] = asked alone; NULL = before batching).
-- shared_peak: the topic's peak in a shared request whose answer was too coarse to keep, so it was asked
--   alone (NULL otherwise); the planner asks such a topic alone next time.
-- status gains `coarse`: a shared answer too coarse to keep, stored until the topic's own request answers
--   (the views read only ok and empty rows, so a coarse topic counts as not fetched yet).
ALTER TABLE trend_series ADD COLUMN companions VARCHAR[];
ALTER TABLE trend_series ADD COLUMN shared_peak INTEGER;
