"""Uncertainty sampling: score candidate articles with a trained model the way `evaluate` does (the
log-probs of the two answers after the article's prompt, `training/scoring.py`) and queue them closest
to the decision threshold first."""

from __future__ import annotations

from pathlib import Path

import duckdb

from newsalign.training.prompt import PromptBuilder
from newsalign.training.scoring import answer_logprobs, load_model, p_signal

# Live articles no one has decided, in a fixed pseudo-random order (so a sample of them is unbiased).
_CANDIDATES = """
SELECT a.id, a.title, a.text FROM v_articles_clean AS a
WHERE a.id NOT IN (SELECT article_id FROM human_labels WHERE undone_at IS NULL)
ORDER BY md5(a.id)
LIMIT ?
"""


def rank_uncertain(
    con: duckdb.DuckDBPyConnection, model_dir: Path, *, candidates: int = 200, threshold: float = 0.5
) -> list[tuple[str, float]]:
    """(article id, P(signal)) for up to `candidates` undecided articles, closest to `threshold` first."""
    rows = con.execute(_CANDIDATES, [candidates]).fetchall()
    if not rows:
        return []
    model, tokenizer = load_model(model_dir)
    builder = PromptBuilder(tokenizer=tokenizer)
    prompts = [builder(title, text) for _, title, text in rows]
    scores = p_signal(answer_logprobs(model, tokenizer, prompts))
    ranked = sorted(
        zip((row[0] for row in rows), scores.tolist()), key=lambda pair: (abs(pair[1] - threshold), pair[0])
    )
    return ranked
