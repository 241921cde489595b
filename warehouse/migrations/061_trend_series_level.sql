-- level: the topic's interest level measured in a shared request (its peak there, chained through
-- companions of known level onto one scale; NULL when asked alone), so later runs group topics of
-- comparable interest. A `coarse` row's shared_peak is now set only when it was coarse again in a
-- regrouped request (so it is asked alone); a first coarse answer is regrouped by level.
ALTER TABLE trend_series ADD COLUMN level DOUBLE;
