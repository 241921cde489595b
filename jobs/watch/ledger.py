"""The ledger in the lake: cycles, the signals reported (each once), and each report's delivery per channel.

A new signal is entered in `watch_reports` together with one `pending` delivery per channel, in one
transaction; a delivery is then marked `delivered` (or `failed`, tried again next cycle). A cycle killed
between the two finds its pending deliveries next time, so nothing is missed; `watch_reports` is never
written twice for one (article, detector), so nothing is reported twice."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import duckdb
import pandas as pd

from newsalign import warehouse
from newsalign.core.secrets import scrub

LLM_DETECTOR = "llm"
SIGNAL_COLUMNS = "a.id, a.url, a.title, a.source, a.date_published AS published"


def now() -> datetime:
    return datetime.now(timezone.utc)


def start_cycle(con: duckdb.DuckDBPyConnection, detector: str) -> str:
    cycle_id = uuid.uuid4().hex[:16]
    warehouse.retry(
        lambda: con.execute(
            "INSERT INTO watch_cycles (cycle_id, started, model) VALUES (?, ?, ?)",
            [cycle_id, now(), None if detector == LLM_DETECTOR else detector],
        )
    )
    return cycle_id


def finish_cycle(con: duckdb.DuckDBPyConnection, cycle_id: str, status: str, detail: dict) -> None:
    warehouse.retry(
        lambda: con.execute(
            "UPDATE watch_cycles SET finished = ?, status = ?, detail = ? WHERE cycle_id = ?",
            [now(), status, scrub(json.dumps(detail, default=str)), cycle_id],  # steps' errors among the details
        )
    )


SCOPE = "fetched_at >= (SELECT min(started) FROM watch_cycles)"  # articles a watch cycle stored


def scope_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [i for (i,) in con.execute(f"SELECT id FROM v_articles_clean WHERE {SCOPE} ORDER BY id").fetchall()]


def _signals_sql(detector: str) -> tuple[str, list]:
    """(article_id, score) of every detected signal among the watched articles."""
    if detector == LLM_DETECTOR:
        return "SELECT article_id, 1.0 AS score FROM llm_calls WHERE status = 'ok' AND signal GROUP BY article_id", []
    return "SELECT article_id, probability AS score FROM predictions WHERE model_hash = ? AND signal", [detector]


def record_new_signals(con: duckdb.DuckDBPyConnection, detector: str, cycle_id: str, channels: list[str]) -> int:
    """Enter the signals not reported yet, each with a pending delivery per channel; how many."""
    signals, params = _signals_sql(detector)

    def work(c: duckdb.DuckDBPyConnection) -> int:
        new = c.execute(
            f"SELECT s.article_id, s.score FROM ({signals}) s JOIN v_articles_clean a ON a.id = s.article_id "
            f"WHERE a.{SCOPE} AND s.article_id NOT IN (SELECT article_id FROM watch_reports WHERE detector = ?) "
            "ORDER BY a.date_published, s.article_id",
            [*params, detector],
        ).fetchall()
        at = now()
        if new:
            c.executemany(
                "INSERT INTO watch_reports VALUES (?, ?, ?, ?, ?)", [(a, detector, s, cycle_id, at) for a, s in new]
            )
            c.executemany(
                "INSERT INTO watch_deliveries VALUES (?, ?, ?, 'pending', 0, NULL, ?)",
                [(a, detector, ch, at) for a, _ in new for ch in channels],
            )
        return len(new)

    return warehouse.in_transaction(con, work)


def pending(con: duckdb.DuckDBPyConnection, detector: str, channel: str) -> pd.DataFrame:
    """The reports still to deliver on `channel` (pending or failed), with what a report shows."""
    return con.execute(
        f"""
        WITH current AS (
            SELECT article_id, status, attempts FROM watch_deliveries WHERE detector = ? AND channel = ?
            QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY recorded_at DESC, attempts DESC) = 1)
        SELECT {SIGNAL_COLUMNS}, r.score, d.attempts,
               (SELECT topics FROM llm_calls l WHERE l.article_id = a.id AND l.status = 'ok'
                ORDER BY call_id DESC LIMIT 1) AS topics
        FROM current d JOIN watch_reports r ON r.article_id = d.article_id AND r.detector = ?
        JOIN v_articles_clean a ON a.id = d.article_id
        WHERE d.status <> 'delivered' ORDER BY a.date_published, a.id
        """,
        [detector, channel, detector],
    ).df()


def mark(con, detector: str, channel: str, ids: list[str], status: str, attempts: dict, error: str | None = None):
    """Record a delivery outcome for `ids` on `channel`."""
    if not ids:
        return
    at = now()
    rows = [(i, detector, channel, status, attempts.get(i, 0) + 1, scrub(error), at) for i in ids]
    warehouse.retry(lambda: con.executemany("INSERT INTO watch_deliveries VALUES (?, ?, ?, ?, ?, ?, ?)", rows))
