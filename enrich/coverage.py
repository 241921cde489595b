"""Why articles have no label yet: `label_gap` names what is missing and the one command or setting
that labels from what exists (an article is labelled only once every part its combiner needs is known)."""

from __future__ import annotations

import duckdb


def label_gap(con: duckdb.DuckDBPyConnection) -> str | None:
    """One line when answered articles are missing from v_signal, else None."""
    answered, with_trends, labelled, combiner = con.execute(
        "SELECT (SELECT count(*) FROM int_llm_results), "
        "(SELECT count(*) FROM int_topics_labels WHERE trend_signal IS NOT NULL), "
        "(SELECT count(*) FROM v_signal), (SELECT signal_combiner FROM stg_label_params)"
    ).fetchone()
    if not answered or labelled >= answered:
        return None
    if combiner in ("or", "and", "trend") and with_trends < answered:
        return (
            f"{labelled} of {answered} articles with LLM answers are labelled: the others lack Trends series "
            f"(signal_combiner = {combiner!r} needs them). Run `newsalign enrich trends`, or label from the LLM "
            "answers alone: newsalign sql \"UPDATE label_params SET value = 'gpt' WHERE name = 'signal_combiner'\""
        )
    return f"{labelled} of {answered} articles with LLM answers are labelled; see v_signal and docs/labels.md"
