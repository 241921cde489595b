-- An article is in v_signal only once its label is known.
SELECT id FROM v_signal WHERE signal IS NULL
