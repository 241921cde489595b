"""Conditional requests for feeds and sitemaps (`-s NEWSALIGN_CONDITIONAL_GET=True`; `newsalign watch` sets it).

Downloader middleware: every discovery request (a feed, a sitemap, robots.txt for sitemaps) carries the
`ETag` and `Last-Modified` its URL last answered with (If-None-Match / If-Modified-Since), kept in the
lake's `http_validators`; a 304 ends the request quietly (nothing to parse, counted as
`newsalign/not_modified`). New validators are written only when the spider closes `finished` with no
article download failed for a transient reason (a 5xx, 408, 429, a timeout, a refused connection),
after the articles are flushed: a crawl killed (kill -9 too) or partly failed re-reads its feeds in full
next time, so no article a feed listed is ever hidden behind a 304.
Why not Scrapy's HttpCacheMiddleware (RFC2616 policy): it keeps bodies on disk beside the project rather
than in the lake, stores a validator as soon as a response arrives (before the articles it lists are
stored), and answers a 304 with the cached body, which would be parsed again.
A sitemap index is always read in full (a few hundred bytes): its 304 would hide its children, which are
asked conditionally themselves.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from newsalign import warehouse
from newsalign.core.secrets import scrub
from newsalign.crawler.spiders.base import ARTICLE, SKIPPED
from newsalign.pipeline.runs import crawl_writer

TRANSIENT = {408, 429, 500, 502, 503, 504}
VALIDATORS = pa.schema(
    [("url", pa.string()), ("etag", pa.string()), ("last_modified", pa.string()),
     ("updated_at", pa.timestamp("us", tz="UTC"))]
)  # fmt: skip


class ConditionalDiscovery:
    def __init__(self, crawler):
        self.crawler = crawler
        self.known: dict[str, tuple[str | None, str | None]] = {}  # url -> (etag, last_modified)
        self.fresh: dict[str, tuple[str | None, str | None]] = {}
        self.article_failed = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSALIGN_CONDITIONAL_GET"):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider) -> None:
        writer = crawl_writer(self.crawler)
        writer.open()
        rows = writer.con.execute("SELECT url, etag, last_modified FROM http_validators").fetchall()
        self.known = {url: (etag, modified) for url, etag, modified in rows}

    def process_request(self, request):
        if "discovery" in request.meta and scrub(request.url) in self.known:
            etag, modified = self.known[scrub(request.url)]
            if etag:
                request.headers.setdefault("If-None-Match", etag)
            if modified:
                request.headers.setdefault("If-Modified-Since", modified)
        return None

    def process_response(self, request, response):
        if request.meta.get(ARTICLE) and response.status in TRANSIENT:
            self.article_failed = True
        if "discovery" not in request.meta:
            return response
        if response.status == 304:
            request.meta[SKIPPED] = True  # not a failure: the spider's errback records nothing
            self.crawler.stats.inc_value("newsalign/not_modified")
            raise IgnoreRequest(f"not_modified: {request.url}")
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if response.status == 200 and (etag or modified) and b"<sitemapindex" not in response.body[:4096]:
            # kept under the URL scrubbed (the Guardian's API URL carries its key), looked up the same way
            self.fresh[scrub(request.url)] = tuple(v.decode("latin-1") if v else None for v in (etag, modified))
        return response

    def process_exception(self, request, exception):
        if request.meta.get(ARTICLE) and not isinstance(exception, IgnoreRequest):
            self.article_failed = True
        return None

    def spider_closed(self, spider, reason: str) -> None:
        writer = crawl_writer(self.crawler)
        if reason != "finished" or self.article_failed or writer.lost or not self.fresh:
            return
        now = datetime.now(timezone.utc)
        table = pa.Table.from_pylist(
            [{"url": u, "etag": e, "last_modified": m, "updated_at": now} for u, (e, m) in self.fresh.items()],
            schema=VALIDATORS,
        )
        own = writer.con is None  # the run recorder has finished the writer (articles flushed) and closed it
        if not own:
            writer.flush()
        con = warehouse.connect(self.crawler.settings.get("NEWSALIGN_DB")) if own else writer.con
        try:
            con.register("fresh_validators", table)
            warehouse.in_transaction(con, _replace)
            con.unregister("fresh_validators")
        finally:
            if own:
                con.close()


def _replace(con) -> None:
    con.execute("DELETE FROM http_validators WHERE url IN (SELECT url FROM fresh_validators)")
    con.execute("INSERT INTO http_validators SELECT * FROM fresh_validators")
