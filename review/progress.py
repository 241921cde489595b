"""The numbers the page keeps in view: decided and left in the queue, decisions per hour, agreement."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

_DECIDED = """
SELECT count(DISTINCT article_id),
       count(*) FILTER (WHERE decided_at >= $since)
FROM human_labels WHERE annotator = $who AND queue = $queue AND undone_at IS NULL
"""

# This annotator's standing answers in the queue on articles someone else answered too: how many, and
# the share where they agree.
_AGREEMENT = """
SELECT count(*), avg((m.signal = o.signal)::INTEGER)
FROM int_human_latest AS m JOIN int_human_latest AS o ON o.article_id = m.article_id AND o.annotator <> m.annotator
WHERE m.annotator = $who AND m.queue = $queue
"""


def progress(con: duckdb.DuckDBPyConnection, queue, who: str, since: datetime) -> dict:
    """decided (articles, skips included), left, per_hour (this session's rate), compared and agreement
    (with other annotators, over the articles both answered; None before any)."""
    params = {"who": who, "queue": queue.name}
    decided, in_session = con.execute(_DECIDED, {**params, "since": since}).fetchone()
    compared, agreement = con.execute(_AGREEMENT, params).fetchone()
    hours = max((datetime.now(timezone.utc) - since).total_seconds() / 3600, 1 / 60)
    return {
        "decided": decided,
        "left": queue.left(con, who),
        "per_hour": round(in_session / hours, 1),
        "compared": compared,
        "agreement": None if agreement is None else round(agreement, 3),
    }
