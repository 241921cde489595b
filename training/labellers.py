"""The automated labellers scored as if they were models: the LLM's signal, the Trends rule and their
OR (the thesis's label), against a split's labels. Against an export made with `--test-from gold`
those labels are people's judgement, so this is the measure of how good the automated labels are."""

from __future__ import annotations

import duckdb
import numpy as np

from newsalign.training.metrics import bootstrap_ci, compute_metrics, confusion

# name -> the labeller's answer per article, from int_topics_labels (trend: the rule label_params names)
LABELLERS = {
    "labeller_llm": "gpt_signal",
    "labeller_trends": "trend_signal",
    "labeller_llm_or_trends": "gpt_signal OR trend_signal",
}


def labeller_answers(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, bool]]:
    """{labeller: {article id: its answer}} for the `ids` it has an answer on."""
    answers = {name: {} for name in LABELLERS}
    columns = ", ".join(f"{expression} AS {name}" for name, expression in LABELLERS.items())
    query = f"SELECT article_id, {columns} FROM int_topics_labels WHERE list_contains(?, article_id)"
    for article_id, *values in con.execute(query, [list(ids)]).fetchall():
        for name, value in zip(LABELLERS, values):
            if value is not None:
                answers[name][article_id] = bool(value)
    return answers


def score_labellers(
    con: duckdb.DuckDBPyConnection, ids: list[str], gold: np.ndarray, *, bootstrap: int = 1000, seed: int = 0
) -> tuple[dict[str, dict], list[str]]:
    """(entries in `evaluate`'s shape, one per labeller with an answer on any article; notes on coverage).
    A labeller's 0/1 answer is its P(signal), at threshold 0.5; it is scored on the articles it answered."""
    entries, notes = {}, []
    for name, answered in labeller_answers(con, ids).items():
        covered = np.array([article_id in answered for article_id in ids])
        if not covered.any():
            notes.append(f"{name} has no answer on any article of the split: not scored.")
            continue
        if not covered.all():
            notes.append(f"{name} answered {int(covered.sum())} of the {len(ids)} articles: scored on those.")
        y = np.asarray(gold, dtype=bool)[covered]
        p = np.array([float(answered[i]) for i, c in zip(ids, covered) if c])
        entries[name] = {
            "kind": "labeller",
            "path": None,
            "seconds": None,
            "trainer": None,
            "n": int(covered.sum()),
            "threshold": 0.5,
            "metrics": compute_metrics(y, p, threshold=0.5),
            "ci": bootstrap_ci(y, p, n_resamples=bootstrap, seed=seed, threshold=0.5),
            "confusion_matrix": confusion(y, p, threshold=0.5),
        }
    return entries, notes
