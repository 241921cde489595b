"""Who decided and who holds what: every standing decision and every fresh claim (small tables next
to the articles), each read in one query. The queues, the claim races and the progress are computed
from them in Python, so a request reads each table once, not once per question asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

CLAIM_MINUTES = 30  # a gold article served and not decided is held this long for its annotator

_DECISIONS = """
SELECT article_id, annotator, decision, queue, decided_at, decision_id FROM human_labels WHERE undone_at IS NULL
"""
_CLAIMS = f"""
SELECT article_id, annotator, claimed_at, rowid FROM review_claims
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
class Claim:
    article_id: str
    annotator: str
    at: datetime
    row_id: int  # commit order: a lake assigns row ids as transactions commit


@dataclass(frozen=True)
class ReviewState:
    decisions: list[Decision]  # standing (not undone), skips included
    claims: list[Claim]  # fresh ones

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> ReviewState:
        return cls(read_decisions(con), read_claims(con))

    def with_decision(self, decision: Decision) -> ReviewState:
        """This state and a decision just committed."""
        return ReviewState([*self.decisions, decision], self.claims)

    def without_decision(self, decision_id: str) -> ReviewState:
        """This state less a decision just undone."""
        return ReviewState([d for d in self.decisions if d.decision_id != decision_id], self.claims)

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
        for claim in self.claims:
            if claim.annotator != who and (claim.article_id, claim.annotator) not in decided:
                held.setdefault(claim.article_id, set()).add(claim.annotator)
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


def read_decisions(con: duckdb.DuckDBPyConnection) -> list[Decision]:
    """Every standing decision (not undone), skips included."""
    return [Decision(*row) for row in con.execute(_DECISIONS).fetchall()]


def read_claims(con: duckdb.DuckDBPyConnection) -> list[Claim]:
    """Every fresh claim, with its row id (its commit order)."""
    return [Claim(*row) for row in con.execute(_CLAIMS).fetchall()]
