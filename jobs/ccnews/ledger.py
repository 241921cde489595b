"""What a CC-NEWS crawl keeps in the lake (migration 090): one `ccnews_files` row per attempt at a file."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from newsalign import warehouse
from newsalign.core.secrets import scrub


def finished_paths(con) -> set[str]:
    """The files read to the end by an earlier run (a re-run skips them)."""
    return {
        row[0] for row in con.execute("SELECT DISTINCT path FROM ccnews_files WHERE status = 'finished'").fetchall()
    }


def start(con, path: str, run_id: str) -> None:
    row = [path, run_id, socket.gethostname(), os.getpid(), datetime.now(timezone.utc)]
    warehouse.retry(
        lambda: con.execute(
            "INSERT INTO ccnews_files (path, status, run_id, host, pid, started) VALUES (?, 'running', ?, ?, ?, ?)",
            row,
        )
    )


def end(con, path: str, run_id: str, *, error: str | None, counts: dict[str, int]) -> None:
    """Complete the attempt: 'finished' without an error, else 'failed' (call after the articles are flushed)."""
    values = [
        "failed" if error else "finished",
        datetime.now(timezone.utc),
        *(counts.get(key, 0) for key in ("bytes", "records", "ours", "stored")),
        scrub(error),
        path,
        run_id,
    ]
    warehouse.retry(
        lambda: con.execute(
            "UPDATE ccnews_files SET status = ?, finished = ?, bytes = ?, records = ?, ours = ?, stored = ?,"
            " error = ? WHERE path = ? AND run_id = ? AND status = 'running'",
            values,
        )
    )
