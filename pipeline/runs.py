"""`CrawlRunRecorder`: the Scrapy extension that records a crawl in the warehouse, through the crawl's one
`WarehouseWriter`, which it owns: the pipelines and the resume middleware reach it the way Scrapy's own
components reach each other, `crawler.get_extension(CrawlRunRecorder).writer` (`crawl_writer`).

On `spider_opened` it starts the run (`crawl_runs` row); on `item_dropped` it records the rejection
(`article_rejects`, via the run's shared `WarehouseWriter`; download failures arrive as `PageRejected`
items from the spider's errback); on `request_scheduled` it records offsite links (stage `download`), which Scrapy drops silently; on `spider_closed` it flushes, fills in
finished, status (the close reason), fetched (responses received), stored, rejected and the
per-"stage/reason" counts, and logs the report.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import signals

from newsalign.core.errors import NewsalignError
from newsalign.pipeline.writer import WarehouseWriter


class CrawlRunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.writer = WarehouseWriter(crawler.settings, crawler=crawler)

    @classmethod
    def from_crawler(cls, crawler):
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(recorder.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider) -> None:
        self.writer.open()

    def item_dropped(self, item, exception, response=None, spider=None) -> None:
        self.writer.record_drop(item, exception)

    def request_scheduled(self, request, spider) -> None:
        """Scrapy's offsite filter drops a request here without an errback: record it (the same test)."""
        if request.dont_filter or request.meta.get("allow_offsite"):
            return
        allowed = getattr(spider, "allowed_domains", None)
        host = urlsplit(request.url).hostname or ""
        if allowed and not any(host == domain or host.endswith(f".{domain}") for domain in allowed):
            self.writer.record_failure(request.url, spider.name, "offsite", f"{host} is not one of the site's hosts")

    def spider_closed(self, spider, reason: str) -> None:
        fetched = self.crawler.stats.get_value("response_received_count", 0)
        report = self.writer.finish(status=reason, fetched=fetched)
        self.crawler.stats.set_value("newsalign/stored", report.stored)
        self.crawler.stats.set_value("newsalign/rejected", report.rejected)


def crawl_writer(crawler) -> WarehouseWriter:
    """The crawl's one writer, for a component Scrapy builds after the extensions (an item pipeline, a
    downloader middleware): the `CrawlRunRecorder` extension's."""
    recorder = crawler.get_extension(CrawlRunRecorder)
    if recorder is None:
        raise NewsalignError(
            "the warehouse pipelines need the newsalign.pipeline.runs.CrawlRunRecorder extension (EXTENSIONS)"
        )
    return recorder.writer
