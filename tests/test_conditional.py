"""Conditional requests for feeds and sitemaps: validators from the lake, 304s ended quietly, validators kept
only after a crawl that fetched everything its feeds listed."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.extension import ExtensionManager
from scrapy.http import Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from newsalign.crawler.spiders.base import ARTICLE, SKIPPED
from newsalign.pipeline.conditional import ConditionalDiscovery
from newsalign.pipeline.runs import CrawlRunRecorder
from newsalign.warehouse import connect

FEED = "http://127.0.0.1:1/news/rss.xml"


def _crawl(db):
    """A crawler's middleware and writer, as a crawl opens them."""
    crawler = get_crawler(settings_dict={"NEWSALIGN_CONDITIONAL_GET": True, "NEWSALIGN_DB": str(db)})
    crawler.stats = crawler.stats or MemoryStatsCollector(crawler)
    recorder = CrawlRunRecorder(crawler)  # the extension that owns the crawl's writer, as a crawl builds it
    crawler._extensions = ExtensionManager(recorder, crawler=crawler)  # what Crawler.crawl() would have set
    writer = recorder.writer
    writer.spider = "bbc"
    middleware = ConditionalDiscovery.from_crawler(crawler)
    middleware.spider_opened(None)
    return middleware, writer


def _answer(middleware, status: int, etag: str, *, meta=None, body=b"<rss><channel/></rss>"):
    request = Request(FEED, meta=meta if meta is not None else {"discovery": "feed"})
    middleware.process_request(request)
    response = Response(FEED, status=status, headers={"ETag": etag}, body=body, request=request)
    return request, middleware.process_response(request, response)


def _validators(db):
    with connect(db, read_only=True) as con:
        return con.execute("SELECT url, etag FROM http_validators").fetchall()


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_validators_are_sent_and_a_304_ends_quietly(tmp_path):
    db = tmp_path / "lake"
    middleware, writer = _crawl(db)
    _answer(middleware, 200, '"v1"')
    middleware.spider_closed(None, "finished")
    writer.close()
    assert _validators(db) == [(FEED, '"v1"')]

    middleware, writer = _crawl(db)
    request = Request(FEED, meta={"discovery": "feed"})
    middleware.process_request(request)
    assert request.headers.get("If-None-Match") == b'"v1"'
    with pytest.raises(IgnoreRequest, match="not_modified"):
        middleware.process_response(request, Response(FEED, status=304, request=request))
    assert request.meta[SKIPPED]  # the spider's errback records no failure
    assert middleware.crawler.stats.get_value("newsalign/not_modified") == 1
    writer.close()


@pytest.mark.parametrize("ending", ["article_503", "killed", "index"])
def test_validators_are_kept_only_after_a_complete_crawl(tmp_path, ending):
    db = tmp_path / "lake"
    middleware, writer = _crawl(db)
    _answer(middleware, 200, '"v1"')
    middleware.spider_closed(None, "finished")
    middleware, writer = _crawl(db)
    if ending == "index":  # a sitemap index is always read in full: its 304 would hide its children
        _answer(middleware, 200, '"v2"', body=b"<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>")
        middleware.spider_closed(None, "finished")
    else:
        _answer(middleware, 200, '"v2"')
        if ending == "article_503":
            _answer(middleware, 503, '"a"', meta={ARTICLE: True})
            middleware.spider_closed(None, "finished")
        else:
            middleware.spider_closed(None, "shutdown")  # Ctrl-C; a kill -9 never reaches spider_closed at all
    writer.close()
    assert _validators(db) == [(FEED, '"v1"')]
