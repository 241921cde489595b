"""The write path of `human_labels`: each decision (and each undo) one short transaction, so an answer
the page acknowledged is committed before the acknowledgement is sent and survives a kill -9."""

from __future__ import annotations

import uuid

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.warehouse import in_transaction

DECISIONS = ("signal", "not", "skip")
QUEUES = ("gold", "disagree", "uncertain")


class ReviewError(NewsalignError):
    """A review request the lake cannot take: an unknown decision or queue, a missing article."""


class ArticleGone(ReviewError):
    """The article was deleted or superseded while it was on screen."""


def check_live(con: duckdb.DuckDBPyConnection, article_id: str) -> None:
    """Raise `ArticleGone` (saying why) unless the article is stored and not superseded."""
    row = con.execute("SELECT superseded_by FROM stg_articles WHERE id = ?", [article_id]).fetchone()
    if row is None:
        raise ArticleGone(f"article {article_id} is no longer in the lake: skipped, nothing recorded")
    if row[0] is not None:
        raise ArticleGone(
            f"article {article_id} was superseded by {row[0]} (a near-duplicate): skipped, nothing recorded"
        )


def record_decision(
    con: duckdb.DuckDBPyConnection,
    *,
    article_id: str,
    annotator: str,
    decision: str,
    queue: str,
    seconds: float | None = None,
) -> str:
    """Store one decision in its own transaction; returns its decision_id once committed."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if queue not in QUEUES:
        raise ReviewError(f"queue must be one of {', '.join(QUEUES)}, not {queue!r}")
    decision_id = uuid.uuid4().hex

    def write(c: duckdb.DuckDBPyConnection) -> None:
        (inserted,) = c.execute(
            "INSERT INTO human_labels (decision_id, article_id, annotator, decision, queue, decided_at, seconds) "
            "SELECT ?, id, ?, ?, ?, now(), ? FROM stg_articles WHERE id = ? AND superseded_by IS NULL",
            [decision_id, annotator, decision, queue, seconds, article_id],
        ).fetchone()
        if not inserted:
            check_live(c, article_id)  # raises ArticleGone, saying why

    in_transaction(con, write)
    return decision_id


def undo_last(con: duckdb.DuckDBPyConnection, *, annotator: str, queue: str) -> str | None:
    """Mark the annotator's latest standing decision in `queue` undone; returns its article id (None: nothing to undo)."""

    def undo(c: duckdb.DuckDBPyConnection) -> str | None:
        row = c.execute(
            "SELECT decision_id, article_id FROM human_labels WHERE annotator = ? AND queue = ? AND undone_at IS NULL "
            "ORDER BY decided_at DESC, decision_id DESC LIMIT 1",
            [annotator, queue],
        ).fetchone()
        if row is None:
            return None
        c.execute("UPDATE human_labels SET undone_at = now() WHERE decision_id = ?", [row[0]])
        return row[1]

    return in_transaction(con, undo)
