"""Helpers for the trends and label tests: articles, LLM answers and series rows written the way
the real code writes them, and a Trends backend double at the backend interface."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pyarrow as pa

from newsalign.enrich.trends.backends import RateLimited
from newsalign.enrich.trends.series import MonthlySeries, add_months


def add_articles(con, rows: list[dict]) -> None:
    """rows: dicts with id and optional source, published (YYYY-MM-DD or None), title, text, url."""
    now = datetime.now(timezone.utc)

    def published(row):
        value = row.get("published", "2024-03-15")
        return None if value is None else datetime.fromisoformat(value).replace(hour=12, tzinfo=timezone.utc)

    table = pa.table(
        {
            "id": [r["id"] for r in rows],
            "source": [r.get("source", "bbc") for r in rows],
            "url": [r.get("url", f"https://example.com/{r['id']}") for r in rows],
            "title": [r.get("title", f"Title {r['id']}") for r in rows],
            "date_published": pa.array([published(r) for r in rows], pa.timestamp("us", tz="UTC")),
            "text": [r.get("text", "Some text.") for r in rows],
            "authors": [[] for _ in rows],
            "tags": [[] for _ in rows],
            "fetched_at": pa.array([now] * len(rows), pa.timestamp("us", tz="UTC")),
            "page_type": ["article"] * len(rows),
            "content_hash": [f"hash-{r['id']}" for r in rows],
            "word_count": [2] * len(rows),
        }
    )
    con.register("new_articles", table)
    con.execute(f"INSERT INTO articles ({', '.join(table.column_names)}) SELECT * FROM new_articles")
    con.unregister("new_articles")


def add_llm(con, article_id: str, topics: list[str], signal: bool | None) -> None:
    """An ok llm_calls row, as `enrich llm` stores a parsed answer."""
    con.execute(
        "INSERT INTO llm_calls (cache_key, article_id, content_hash, model, prompt_version, mode, status, flags, "
        "topics, signal, rationale, request) VALUES (?, ?, ?, 'test-model', 'signal_v1', 'recorded', 'ok', [], ?, ?, 'r', ?)",
        [f"key-{article_id}", article_id, f"hash-{article_id}", topics, signal, json.dumps({})],
    )


def add_series(
    con,
    topic: str,
    anchor_month: date,
    values: list[int] | None,
    *,
    partial_last: bool = False,
    anchor: str = "published",
    geo: str = "",
    status: str | None = None,
    first_anchor_month: date | None = None,
) -> None:
    """A trend_series row: `values` monthly, ending the month before `anchor_month`; None → empty.
    It serves publication months first_anchor_month (default: anchor_month) to anchor_month."""
    status = status or ("empty" if values is None else "ok")
    months = [add_months(anchor_month, i - len(values)) for i in range(len(values))] if values else None
    partial = [False] * (len(values) - 1) + [partial_last] if values else None
    con.execute(
        "INSERT INTO trend_series (topic, geo, anchor, anchor_month, first_anchor_month, timeframe, backend, status, "
        "months, interest, partial, error, fetched_at) VALUES (?, ?, ?, ?, ?, 'test', 'test', ?, ?, ?, ?, ?, now())",
        [
            topic,
            geo,
            anchor,
            anchor_month,
            first_anchor_month or anchor_month,
            status,
            months,
            values,
            partial,
            "boom" if status == "error" else None,
        ],
    )


def flat(level: int = 50, months: int = 120) -> list[int]:
    return [level] * months


class FakeBackend:
    """Answers from a dict topic → values (None: no Trends data), each request's topics scaled
    together the way Google does (0..100 relative to the request's highest value, rounded, "<1" as
    0); `rate_limit` topics answer 429 that many times first. Records every topic asked as
    (topic, start, end, geo) in `calls`, and every request's topics in `requests`."""

    name = "fake"
    delay = 0.0

    def __init__(
        self,
        series: dict[str, list[int] | None] | None = None,
        *,
        rate_limit: dict[str, int] | None = None,
        default: list[int] | None = None,
    ):
        self.series = series or {}
        self.rate_limit = dict(rate_limit or {})
        self.default = default if default is not None else flat()
        self.calls: list[tuple] = []
        self.requests: list[tuple[str, ...]] = []

    def fetch(self, topics, start, end, geo):
        self.requests.append(tuple(topics))
        self.calls.extend((topic, start, end, geo) for topic in topics)
        for topic in topics:
            if self.rate_limit.get(topic, 0) > 0:
                self.rate_limit[topic] -= 1
                raise RateLimited("The request failed: Google returned a response with code 429")
        raw = {t: self.series.get(t, self.default) for t in topics}
        peak = max((max(v) for v in raw.values() if v), default=0) or 1
        answers = {}
        for topic, values in raw.items():
            if values is None:
                answers[topic] = MonthlySeries()
                continue
            months = tuple(add_months(start, i) for i in range(len(values)))
            scaled = tuple(int(100 * v / peak + 0.5) for v in values)
            answers[topic] = MonthlySeries(months, scaled, (False,) * len(values))
        return answers


TODAY = date(2025, 6, 17)


def no_sleep(_):
    pass


# A trends run in a subprocess that SIGKILLs itself at its `kill_at`-th request (the resume tests).
KILLER = """
import os, signal, sys
from datetime import date
sys.path.insert(0, {root!r})
from tests.trends_support import FakeBackend
from newsalign.enrich.trends.fetch import enrich_trends
from newsalign.warehouse import connect

class Killed(FakeBackend):
    def fetch(self, topics, start, end, geo):
        with open({log!r}, "a") as log:
            log.write("+".join(topics) + "|" + start.isoformat() + "\\n")
        if len(open({log!r}).read().splitlines()) == {kill_at}:
            os.kill(os.getpid(), signal.SIGKILL)  # dies mid-request, before answering
        return super().fetch(topics, start, end, geo)

enrich_trends(connect({db!r}), Killed({series}), today=date(2025, 6, 17), progress=False, sleep=lambda s: None, terms_per_request={terms})
"""
