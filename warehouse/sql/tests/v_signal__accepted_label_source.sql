-- label_source says which part made signal true.
SELECT id, label_source FROM v_signal WHERE label_source NOT IN ('gpt', 'trend', 'both', 'none') OR label_source IS NULL
