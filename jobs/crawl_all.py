"""`newsalign crawl all`: every spider at once in one process, into one warehouse.

A polite crawl is limited by each site's allowance (robots.txt, a download delay, two requests at a
time per domain), not by the machine, so the six sources run side by side, each within its own site's
settings. They share one duplicate index (`pipeline.dedup.DedupIndex`), so a story two sources carry is
stored once, as it would be one crawl after another. Scrapy's process handles Ctrl-C: the first stops
every crawl cleanly (what was fetched is flushed), the second forces it; a re-run resumes either way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from newsalign import warehouse
from newsalign.crawler.config import check_settings, crawl_settings
from newsalign.pipeline.dedup import DedupIndex
from newsalign.pipeline.runs import CrawlRunRecorder


@dataclass
class SourceProgress:
    """One source's crawl, as the live view and the summary show it."""

    source: str
    requested: int = 0
    stored: int = 0
    rejected: int = 0
    failed: int = 0
    skipped_stored: int = 0
    status: str = "running"
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Pages received a minute."""
        return 60 * (self.requested - self.failed) / self.seconds if self.seconds else 0.0


def crawl_sources(
    sources: list[str],
    *,
    settings: Mapping[str, Any],
    spider_args: Mapping[str, Any],
    sites: Mapping[str, str] | None = None,
    refresh: float = 1.0,
) -> list[SourceProgress]:
    """Run the spiders of `sources` at once; return each one's progress when all have stopped.

    `settings` are Scrapy settings (NEWSALIGN_DB among them), `spider_args` go to every spider
    (since, until, limit), `sites` maps a source to a base URL standing in for its hosts."""
    from scrapy.crawler import AsyncCrawlerProcess
    from twisted.internet import task

    check_settings(settings)  # a bad setting, and a warehouse that cannot be opened, are told once, before any spider
    merged = crawl_settings(**{"LOG_LEVEL": "WARNING", **dict(settings)})
    warehouse.connect(merged.get("NEWSALIGN_DB")).close()
    process = AsyncCrawlerProcess(merged)
    shared = DedupIndex(merged.getfloat("NEWSALIGN_NEAR_DUP_THRESHOLD"))
    crawlers = {}
    for source in sources:
        crawler = process.create_crawler(source)
        crawler.settings.set("NEWSALIGN_DEDUP_INDEX", shared, priority="cmdline")
        args = dict(spider_args) | ({"site": sites[source]} if sites and source in sites else {})
        process.crawl(crawler, **args)
        crawlers[source] = crawler
    started = time.monotonic()
    view = ProgressView(list(crawlers))

    def update() -> None:
        view.show([progress(source, crawler, time.monotonic() - started) for source, crawler in crawlers.items()])

    ticker = task.LoopingCall(update)
    ticker.start(refresh, now=False)
    try:
        process.start()
    finally:
        if ticker.running:
            ticker.stop()
        view.close()
    final = [progress(source, crawler, time.monotonic() - started) for source, crawler in crawlers.items()]
    return with_stored_counts(final, crawlers, merged.get("NEWSALIGN_DB"))


def with_stored_counts(rows: list[SourceProgress], crawlers: dict, db) -> list[SourceProgress]:
    """`stored` as the warehouse has it now: a story one crawl stored and a later one superseded with an
    earlier copy counts once, for the crawl that holds it."""
    run_ids = {source: getattr(_writer(crawler), "run_id", None) for source, crawler in crawlers.items()}
    with warehouse.connect(db, must_exist=True) as con:
        counts = dict(
            con.execute(
                "SELECT run_id, count(*) FROM articles WHERE superseded_by IS NULL AND run_id IN (SELECT unnest(?)) GROUP BY run_id",
                [[r for r in run_ids.values() if r]],
            ).fetchall()
        )
    for row in rows:
        row.stored = counts.get(run_ids[row.source], 0)
    return rows


def _writer(crawler):
    """The crawl's warehouse writer; None before the crawl has built its extensions (or without the recorder)."""
    try:
        recorder = crawler.get_extension(CrawlRunRecorder)
    except RuntimeError:  # the crawl has not started yet
        return None
    return recorder and recorder.writer


def progress(source: str, crawler, seconds: float) -> SourceProgress:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    writer = _writer(crawler)
    counts = writer.counts if writer is not None else {}
    failed = sum(n for key, n in counts.items() if key.startswith("download/"))
    return SourceProgress(
        source=source,
        requested=stats.get("downloader/request_count", 0),
        stored=stats.get("item_scraped_count", 0),
        rejected=stats.get("item_dropped_count", 0) - failed,
        failed=failed,
        skipped_stored=stats.get("newsalign/resume_skipped", 0),
        status=stats.get("finish_reason", "running"),
        seconds=stats.get("elapsed_time_seconds", seconds),
    )


class ProgressView:
    """A live table on a terminal (rich); one line a source every ten seconds elsewhere (logs, CI)."""

    def __init__(self, sources: list[str]):
        self.live = None
        self.last_line = 0.0
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.live import Live

            self.live = Live(table([SourceProgress(s) for s in sources]), console=Console(stderr=True), transient=True)
            self.live.start()

    def show(self, rows: list[SourceProgress]) -> None:
        if self.live is not None:
            self.live.update(table(rows))
        elif time.monotonic() - self.last_line >= 10:
            self.last_line = time.monotonic()
            print("  ".join(f"{r.source}: {r.stored} stored/{r.requested} requested" for r in rows), file=sys.stderr)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


def table(rows: list[SourceProgress]):
    from rich.table import Table

    out = Table("source", "requested", "stored", "rejected", "failed", "pages/min", "skipped (stored)", "status")
    for r in rows:
        out.add_row(
            r.source,
            *(f"{n:,}" for n in (r.requested, r.stored, r.rejected, r.failed)),
            f"{r.rate:.0f}",
            f"{r.skipped_stored:,}",
            r.status,
        )
    return out
