"""What a plan keeps in the lake (migration 070): the windows crawled to the end, and the planner's lease.

`WindowDone` is the Scrapy extension each plan job runs with: when the crawl closes as `finished` (not
killed, not shut down), after the run recorder has completed its `crawl_runs` row, it records the job's
window in `crawl_windows`. Only then does the planner count the window as done.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsalign import warehouse
from newsalign.core.errors import NewsalignError
from newsalign.pipeline.runs import CrawlRunRecorder

WINDOW_SETTING = "NEWSALIGN_PLAN_WINDOW"  # "since/until" (ISO dates) of a plan job's window
LEASE_STALE = timedelta(seconds=60)  # a lease not renewed for this long belongs to a planner that died


@dataclass(frozen=True, order=True)
class Window:
    """One job's share of the backfill: a source and an inclusive range of days."""

    source: str
    since: date
    until: date

    @property
    def label(self) -> str:
        month = self.since.strftime("%Y-%m")
        whole = self.since.day == 1 and (self.until + timedelta(days=1)).day == 1
        return f"{self.source} {month}" if whole else f"{self.source} {self.since}..{self.until}"


def month_windows(sources: list[str], since: date, until: date) -> list[Window]:
    """One window per source and calendar month between `since` and `until` (inclusive, clipped)."""
    windows, start = [], since
    while start <= until:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(until, next_month - timedelta(days=1))
        windows += [Window(source, start, end) for source in sources]
        start = next_month
    return sorted(windows)


def done_windows(con) -> set[Window]:
    rows = con.execute("SELECT DISTINCT source, since, until FROM crawl_windows").fetchall()
    return {Window(*row) for row in rows}


def take_lease(con) -> str:
    """Record this planner's lease; NewsalignError when another live plan holds the lake.

    Insert, commit, then look: of two plans starting at once, each sees the other's row, so at worst
    both refuse; never both run."""
    plan_id = uuid.uuid4().hex[:12]
    now = datetime.now(timezone.utc)
    warehouse.retry(
        lambda: con.execute(
            "INSERT INTO crawl_plan_leases VALUES (?, ?, ?, ?, ?)",
            [plan_id, socket.gethostname(), os.getpid(), now, now],
        )
    )
    others = con.execute(
        "SELECT plan_id, host, pid, started FROM crawl_plan_leases WHERE plan_id <> ? AND heartbeat > ?",
        [plan_id, now - LEASE_STALE],
    ).fetchall()
    if others:
        release_lease(con, plan_id)
        other, host, pid, started = others[0]
        raise NewsalignError(
            f"another plan ({other}, pid {pid} on {host}, started {started:%Y-%m-%d %H:%M:%S}) is running on this "
            "lake: wait for it to finish (its windows are then skipped) rather than crawl the same sites twice"
        )
    return plan_id


def renew_lease(con, plan_id: str) -> None:
    warehouse.retry(
        lambda: con.execute(
            "UPDATE crawl_plan_leases SET heartbeat = ? WHERE plan_id = ?", [datetime.now(timezone.utc), plan_id]
        )
    )


def release_lease(con, plan_id: str) -> None:
    warehouse.retry(lambda: con.execute("DELETE FROM crawl_plan_leases WHERE plan_id = ?", [plan_id]))


class WindowDone:
    """Scrapy extension: record the job's window in `crawl_windows` when its crawl finishes."""

    def __init__(self, crawler, since: date, until: date):
        self.crawler = crawler
        self.since, self.until = since, until

    @classmethod
    def from_crawler(cls, crawler):
        value = crawler.settings.get(WINDOW_SETTING)
        if not value:
            raise NotConfigured(f"not a plan job ({WINDOW_SETTING} unset)")
        since, _, until = value.partition("/")
        extension = cls(crawler, date.fromisoformat(since), date.fromisoformat(until))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason: str) -> None:
        if reason != "finished":
            return  # killed or stopped: the planner queues the window again
        recorder = self.crawler.get_extension(CrawlRunRecorder)
        writer = recorder and recorder.writer
        row = [spider.name, self.since, self.until, getattr(spider, "_job", None), writer and writer.run_id]
        with warehouse.connect(self.crawler.settings.get("NEWSALIGN_DB")) as con:
            warehouse.retry(
                lambda: con.execute(
                    "INSERT INTO crawl_windows VALUES (?, ?, ?, ?, ?, ?)", [*row, datetime.now(timezone.utc)]
                )
            )
