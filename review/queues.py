"""What the page shows next: three queues of article ids, each excluding what the annotator decided.

- `GoldQueue`: the gold sample (`review_gold`), drawn once per lake at random, stratified by source
  (each source's articles in a seeded random order, interleaved in proportion to the source's size, so
  every prefix of the queue is a stratified sample). Two annotators never hold the same gold article at
  once, except the `overlap` share, which two people answer (for inter-annotator agreement).
- `disagree_queue`: articles where the LLM's answer and the Trends rule differ.
- `uncertain_queue`: ids a model scored, closest to its decision threshold first (`review/uncertain.py`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Protocol

import duckdb

from newsalign.review.state import ReviewState
from newsalign.review.store import ReviewError
from newsalign.warehouse import in_transaction


class Queue(Protocol):
    """What the server asks of a queue: pick the next articles by the review state, hold them (gold),
    keep those not lost to another server, count what is left, and the labels it shows (None: hidden)."""

    name: str

    def pick(self, state: ReviewState, who: str, n: int, exclude: list[str]) -> list[str]: ...
    def claim(self, con: duckdb.DuckDBPyConnection, ids: list[str], who: str) -> None: ...
    def kept(self, state: ReviewState, who: str, ids: list[str]) -> list[str]: ...
    def left(self, who: str, state: ReviewState) -> int: ...
    def shown_labels(self) -> dict[str, tuple] | None: ...


_DRAW = """
INSERT INTO review_gold (article_id, source, position, overlap, seed, drawn_at)
WITH ranked AS (
    SELECT id, source, md5($seed::VARCHAR || ':' || id) AS h,
           row_number() OVER (PARTITION BY source ORDER BY md5($seed::VARCHAR || ':' || id)) AS k,
           count(*) OVER (PARTITION BY source) AS n
    FROM v_articles_clean
)
SELECT id, source, row_number() OVER (ORDER BY (k - 0.5) / n, h)::INTEGER,
       ('0x' || md5($seed::VARCHAR || ':overlap:' || id)[:8])::BIGINT < $overlap * 4294967296, $seed, now()
FROM ranked
"""


def draw_gold(con: duckdb.DuckDBPyConnection, *, seed: int | None = None, overlap: float = 0.2) -> tuple[int, int]:
    """The lake's gold sample, drawn now if it has none; returns (seed, articles). A seed other than the
    recorded one is refused: the gold set is drawn once, so every study on the lake shares it."""
    if not 0 <= overlap <= 1:
        raise ReviewError(f"--overlap must be a share from 0 to 1, not {overlap}")

    def draw(c: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        recorded, count = c.execute("SELECT any_value(seed), count(*) FROM review_gold").fetchone()
        if count:
            if seed is not None and seed != recorded:
                raise ReviewError(f"this lake's gold sample was drawn with seed {recorded}, not {seed}: drop --seed")
            return recorded, count
        chosen = random.SystemRandom().randrange(2**31) if seed is None else seed
        c.execute(_DRAW, {"seed": chosen, "overlap": overlap})
        return chosen, c.execute("SELECT count(*) FROM review_gold").fetchone()[0]

    return in_transaction(con, draw)


# One statement claims the articles about to be served (one row each).
CLAIM = "INSERT INTO review_claims SELECT unnest(?::VARCHAR[]), ?, now()"


@dataclass
class GoldQueue:
    """The gold sample in its drawn order (read once: it never changes once drawn)."""

    order: list[str] = field(default_factory=list)
    overlap: set[str] = field(default_factory=set)
    name = "gold"

    @staticmethod
    def shown_labels() -> None:
        """None: the automated labels are hidden in gold (they could anchor the judgement)."""

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> GoldQueue:
        rows = con.execute("SELECT article_id, overlap FROM review_gold ORDER BY position").fetchall()
        return cls([article_id for article_id, _ in rows], {article_id for article_id, shared in rows if shared})

    def _wanted(self, article_id: str) -> int:
        """How many people answer a gold article: 2 for the overlap share, else 1."""
        return 2 if article_id in self.overlap else 1

    def _closed(self, state: ReviewState, who: str, exclude: list[str]) -> set[str]:
        """Articles `who` may not get: decided by them, held on their page, or held by as many other people
        as the article asks for. Small (it grows with the decisions), unlike the sample."""
        full = {a for a, people in state.gold_holders(who).items() if len(people) >= self._wanted(a)}
        return state.decided_by(who) | set(exclude) | full

    def pick(self, state: ReviewState, who: str, n: int, exclude: list[str]) -> list[str]:
        """The first `n` gold articles `who` may get by `state`, in the drawn order, to be claimed."""
        closed = self._closed(state, who, exclude)
        return list(islice((a for a in self.order if a not in closed), n))

    @staticmethod
    def claim(con: duckdb.DuckDBPyConnection, ids: list[str], who: str) -> None:
        """Inside the request's write transaction: hold `ids` for `who`."""
        if ids:
            con.execute(CLAIM, [ids, who])

    def kept(self, state: ReviewState, who: str, ids: list[str]) -> list[str]:
        """Of `ids`, claimed by `who` in a committed transaction, those that no one else answered or claimed
        first, by `state` read after that commit. A claim made at the same moment by another server wins if
        it was committed first. "First" is commit order: a lake assigns row ids as it commits, so a claim's
        row id orders it among the claims every server sees once its own claim is committed (a transaction's
        `now()` would not: a claim stamped earlier can commit later, and two servers would each think they
        came first)."""
        wanted = set(ids)
        mine: dict[str, int] = {}
        for claim in state.claims:
            if claim.annotator == who and claim.article_id in wanted:
                mine[claim.article_id] = min(claim.row_id, mine.get(claim.article_id, claim.row_id))
        rivals: dict[str, set[str]] = {}
        for claim in state.claims:
            if claim.annotator != who and claim.article_id in mine and claim.row_id < mine[claim.article_id]:
                rivals.setdefault(claim.article_id, set()).add(claim.annotator)
        for d in state.decisions:
            if d.annotator != who and d.article_id in wanted and d.decision != "skip":
                rivals.setdefault(d.article_id, set()).add(d.annotator)
        return [a for a in ids if a in mine and len(rivals.get(a, ())) < self._wanted(a)]

    def left(self, who: str, state: ReviewState) -> int:
        """Articles left for `who` (the ones on their page included)."""
        return len(self.order) - len(self._closed(state, who, []) & self._members)

    @cached_property
    def _members(self) -> set[str]:
        return set(self.order)


# The automated labels of every article with an LLM answer, read once when a queue starts (the label
# views compute over the whole lake: too slow to ask per article while a person waits).
_LABELS = """
SELECT l.article_id, l.topics, r.rationale, l.gpt_signal, l.trend_signal
FROM int_topics_labels AS l JOIN int_llm_results AS r USING (article_id)
ORDER BY md5(l.article_id)
"""


def automated_labels(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """{article id: (topics, rationale, gpt_signal, trend_signal)} in a fixed pseudo-random order."""
    return {row[0]: row[1:] for row in con.execute(_LABELS).fetchall()}


@dataclass
class RankedQueue:
    """Ids in a fixed order (the disagreements, or a model's uncertainty ranking), with their automated
    labels as read at start; each annotator gets the ones they have not decided."""

    name: str
    ranked: list[str] = field(default_factory=list)
    labels: dict = field(default_factory=dict)

    def shown_labels(self) -> dict[str, tuple]:
        """The automated labels shown beside each article."""
        return self.labels

    def pick(self, state: ReviewState, who: str, n: int, exclude: list[str]) -> list[str]:
        skip = state.decided_by(who) | set(exclude)
        return list(islice((i for i in self.ranked if i not in skip), n))

    @staticmethod
    def claim(con: duckdb.DuckDBPyConnection, ids: list[str], who: str) -> None:
        """Nothing to hold: several people may review the same disagreement."""

    @staticmethod
    def kept(state: ReviewState, who: str, ids: list[str]) -> list[str]:
        return ids

    def left(self, who: str, state: ReviewState) -> int:
        return len(self.ranked) - len(state.decided_by(who) & self._members)

    @cached_property
    def _members(self) -> set[str]:
        return set(self.ranked)


def disagree_queue(con: duckdb.DuckDBPyConnection) -> RankedQueue:
    """Articles where the LLM's answer and the Trends rule differ, in a fixed pseudo-random order."""
    labels = automated_labels(con)
    ranked = [i for i, (_, _, gpt, trend) in labels.items() if gpt is not None and trend is not None and gpt != trend]
    return RankedQueue("disagree", ranked, labels)


def uncertain_queue(con: duckdb.DuckDBPyConnection, ranked: list[str]) -> RankedQueue:
    """`ranked` (closest to the model's threshold first), with the automated labels where known."""
    return RankedQueue("uncertain", ranked, automated_labels(con))
