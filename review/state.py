"""Who decided and who holds what, read in one query per request: every standing decision and every
fresh claim (small tables next to the articles). The queues and the progress are computed from it in
Python, so a decision costs a few lake queries, not one per question asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

CLAIM_MINUTES = 30  # a gold article served and not decided is held this long for its annotator

_STATE = f"""
SELECT article_id, annotator, decision, queue, decided_at, decision_id FROM human_labels WHERE undone_at IS NULL
UNION ALL
SELECT article_id, annotator, NULL, NULL, claimed_at, NULL FROM review_claims
WHERE claimed_at > now() - INTERVAL {CLAIM_MINUTES} MINUTE
"""


@dataclass(frozen=True)
class Decision:
    article_id: str
    annotator: str
    decision: str
    queue: str
    at: datetime
    decision_id: str


@dataclass(frozen=True)
class ReviewState:
    decisions: list[Decision]  # standing (not undone), skips included
    claims: list[tuple[str, str, datetime]]  # (article, annotator, claimed_at), fresh ones

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> ReviewState:
        decisions, claims = [], []
        for article_id, annotator, decision, queue, at, decision_id in con.execute(_STATE).fetchall():
            if decision is None:
                claims.append((article_id, annotator, at))
            else:
                decisions.append(Decision(article_id, annotator, decision, queue, at, decision_id))
        return cls(decisions, claims)

    def decided_by(self, who: str) -> set[str]:
        """Articles `who` decided (skips included)."""
        return {d.article_id for d in self.decisions if d.annotator == who}

    def gold_holders(self, who: str) -> dict[str, set[str]]:
        """{article: the other people holding it}: they answered it in gold (not a skip), or were served it
        and have not decided it."""
        decided = {(d.article_id, d.annotator) for d in self.decisions}
        held: dict[str, set[str]] = {}
        for d in self.decisions:
            if d.annotator != who and d.queue == "gold" and d.decision != "skip":
                held.setdefault(d.article_id, set()).add(d.annotator)
        for article_id, annotator, _ in self.claims:
            if annotator != who and (article_id, annotator) not in decided:
                held.setdefault(article_id, set()).add(annotator)
        return held

    def standing(self) -> dict[tuple[str, str], tuple[bool, str]]:
        """{(article, annotator): (signal, queue)}: each person's latest answer that is not a skip."""
        latest: dict[tuple[str, str], Decision] = {}
        for d in self.decisions:
            key = (d.article_id, d.annotator)
            if d.decision != "skip" and (
                key not in latest or (d.at, d.decision_id) > (latest[key].at, latest[key].decision_id)
            ):
                latest[key] = d
        return {key: (d.decision == "signal", d.queue) for key, d in latest.items()}
