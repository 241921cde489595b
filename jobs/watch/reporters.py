"""Where a signal is reported: a table on the terminal, a line in a JSONL file, a webhook POST.

Each reporter takes the pending reports of its channel (`ledger.pending`) and says which it delivered.
The JSONL file is the record of truth for itself: an id already in it is not appended again (a cycle
killed between writing and recording its delivery), so each signal is one line. A webhook cannot be
asked what it received: each POST carries `Idempotency-Key: <article id>` for receivers that de-duplicate."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from newsalign.core.files import read_text
from newsalign.core.secrets import scrub


def signal_record(row: dict) -> dict:
    """One reported signal as JSON (id, url, title, source, published, score, topics)."""
    published = row.get("published")
    topics = row.get("topics")
    return {
        "id": row["id"],
        "url": row["url"],
        "title": row["title"],
        "source": row["source"],
        "published": None if published is None or pd.isna(published) else pd.Timestamp(published).isoformat(),
        "score": None if row.get("score") is None else round(float(row["score"]), 6),
        "topics": [] if topics is None or isinstance(topics, float) else list(topics),
    }


class TerminalReporter:
    channel = "terminal"

    def __init__(self, console=None):
        from rich.console import Console

        self.console = console or Console()

    def deliver(self, rows: list[dict]) -> tuple[list[str], str | None]:
        from rich.table import Table
        from rich.text import Text

        if rows:
            table = Table("published", "source", "score", "title", "topics", "url", title="new signals")
            for r in map(signal_record, rows):
                cells = (r["published"] or "", r["source"], f"{r['score']:.3f}", r["title"],
                         ", ".join(r["topics"][:3]), r["url"] or "")  # fmt: skip
                table.add_row(*(Text(str(c)) for c in cells))  # Text: a page's "[...]" is never rich markup
            self.console.print(table)
        return [r["id"] for r in rows], None


class JsonlReporter:
    def __init__(self, path):
        self.path = Path(path)
        self.channel = f"jsonl:{self.path.resolve()}"

    def _written(self) -> set[str]:
        if not self.path.exists():
            return set()
        ids = set()
        for line in read_text(self.path, "--jsonl").splitlines():  # not UTF-8 text: one line naming it
            try:
                ids.add(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a kill: its signal is written again whole
        return ids

    def deliver(self, rows: list[dict]) -> tuple[list[str], str | None]:
        written = self._written()
        fresh = [signal_record(r) for r in rows if r["id"] not in written]
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                if out.tell() and not self.path.read_bytes().endswith(b"\n"):
                    out.write("\n")  # after a line cut by a kill
                out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in fresh)
                out.flush()
                os.fsync(out.fileno())
        return [r["id"] for r in rows], None


class WebhookReporter:
    def __init__(self, url: str, *, attempts: int = 3, timeout: float = 10.0, wait: float = 1.0):
        self.url, self.attempts, self.timeout, self.wait = url, attempts, timeout, wait
        # A webhook URL is often a secret itself (Slack's, Discord's): the lake keeps its host and a hash.
        self.channel = f"webhook:{urlsplit(url).hostname}#{hashlib.sha256(url.encode()).hexdigest()[:12]}"

    def deliver(self, rows: list[dict]) -> tuple[list[str], str | None]:
        """POST each signal (retried `attempts` times with a growing wait); the ids delivered, the last error."""
        import httpx
        import tenacity

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=tenacity.wait_exponential(multiplier=self.wait, max=30),
            retry=tenacity.retry_if_exception_type(httpx.HTTPError),
            reraise=True,
        )
        delivered, error = [], None
        with httpx.Client(timeout=self.timeout) as client:
            for row in rows:
                record = signal_record(row)
                try:
                    retrying(self._post, client, record)
                except httpx.HTTPError as exc:
                    error = scrub(f"{type(exc).__name__}: {exc}".replace(self.url, self.channel))[:300]
                    continue
                delivered.append(record["id"])
        return delivered, error

    def _post(self, client, record: dict) -> None:
        client.post(self.url, json=record, headers={"Idempotency-Key": record["id"]}).raise_for_status()
