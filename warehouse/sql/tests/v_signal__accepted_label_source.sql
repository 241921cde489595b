-- label_source says which part made signal true, or that a person decided.
SELECT id, label_source FROM v_signal WHERE label_source NOT IN ('gpt', 'trend', 'both', 'none', 'human') OR label_source IS NULL
