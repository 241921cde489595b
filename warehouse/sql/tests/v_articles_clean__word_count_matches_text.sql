-- word_count is the number of words of the stored text.
SELECT id, word_count, len(string_split_regex(trim(text), '\s+')) AS words
FROM v_articles_clean
WHERE word_count <> len(string_split_regex(trim(text), '\s+'))
