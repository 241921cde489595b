-- A decision is signal, not or skip, made in a known queue, on an article the lake has.
SELECT h.decision_id, h.decision, h.queue
FROM human_labels AS h
LEFT JOIN articles AS a ON a.id = h.article_id
WHERE h.decision NOT IN ('signal', 'not', 'skip') OR h.queue NOT IN ('gold', 'disagree', 'uncertain') OR a.id IS NULL
