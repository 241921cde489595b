"""The write path of `human_labels`: each decision (and each undo) one short transaction, so an answer
the page acknowledged is committed before the acknowledgement is sent and survives a kill -9."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.warehouse import in_transaction

DECISIONS = ("signal", "not", "skip")
QUEUES = ("gold", "disagree", "uncertain")


class ReviewError(NewsalignError):
    """A review request the lake cannot take: an unknown decision or queue, a missing article."""


class ArticleGone(ReviewError):
    """The article was deleted or superseded while it was on screen."""


def gone_reason(article_id: str, superseded_by: str | None) -> str:
    """Why an article not live is skipped: deleted (`superseded_by` None) or superseded."""
    if superseded_by is None:
        return f"article {article_id} is no longer in the lake: skipped, nothing recorded"
    return f"article {article_id} was superseded by {superseded_by} (a near-duplicate): skipped, nothing recorded"


def check_live(con: duckdb.DuckDBPyConnection, article_id: str) -> None:
    """Raise `ArticleGone` (saying why) unless the article is stored and not superseded."""
    row = con.execute("SELECT superseded_by FROM stg_articles WHERE id = ?", [article_id]).fetchone()
    if row is None or row[0] is not None:
        raise ArticleGone(gone_reason(article_id, row[0] if row else None))


def new_decision(
    *, article_id: str, annotator: str, decision: str, queue: str, seconds: float | None = None
) -> Callable[[duckdb.DuckDBPyConnection], str]:
    """A checked decision, as a write to run inside a transaction (beside others): it inserts the row and
    returns its decision_id, or raises `ArticleGone` (nothing inserted) when the article is no longer live."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if queue not in QUEUES:
        raise ReviewError(f"queue must be one of {', '.join(QUEUES)}, not {queue!r}")
    decision_id = uuid.uuid4().hex

    def insert(c: duckdb.DuckDBPyConnection) -> str:
        (inserted,) = c.execute(
            "INSERT INTO human_labels (decision_id, article_id, annotator, decision, queue, decided_at, seconds) "
            "SELECT ?, id, ?, ?, ?, now(), ? FROM stg_articles WHERE id = ? AND superseded_by IS NULL",
            [decision_id, annotator, decision, queue, seconds, article_id],
        ).fetchone()
        if not inserted:
            check_live(c, article_id)  # raises ArticleGone, saying why
        return decision_id

    return insert


def record_decision(con: duckdb.DuckDBPyConnection, **decision) -> str:
    """Store one decision (`new_decision`'s arguments) in its own transaction; returns its decision_id once committed."""
    return in_transaction(con, new_decision(**decision))


def undo_latest(c: duckdb.DuckDBPyConnection, *, annotator: str, queue: str) -> tuple[str, str] | None:
    """Inside a transaction: mark the annotator's latest standing decision in `queue` undone; returns its
    (decision_id, article id) (None: nothing to undo)."""
    row = c.execute(
        "SELECT decision_id, article_id FROM human_labels WHERE annotator = ? AND queue = ? AND undone_at IS NULL "
        "ORDER BY decided_at DESC, decision_id DESC LIMIT 1",
        [annotator, queue],
    ).fetchone()
    if row is None:
        return None
    c.execute("UPDATE human_labels SET undone_at = now() WHERE decision_id = ?", [row[0]])
    return row[0], row[1]


def undo_last(con: duckdb.DuckDBPyConnection, *, annotator: str, queue: str) -> str | None:
    """`undo_latest` in its own transaction; returns the article id."""
    undone = in_transaction(con, lambda c: undo_latest(c, annotator=annotator, queue=queue))
    return None if undone is None else undone[1]
