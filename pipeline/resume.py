"""Resume a crawl from what the warehouse holds, not from Scrapy's on-disk request queue.

Scrapy's JOBDIR keeps a `requests.seen` file and a queue; a `kill -9` can leave the first without the
second, and the re-run then filters every sitemap and article as already seen and stores nothing. So:
- `MemoryDupeFilter` keeps the seen-requests set in memory only: a re-run always reads the sitemaps and
  feeds again (with JOBDIR too, whose queue still helps after a clean stop);
- `SkipStoredArticles` drops, before the download, article requests whose URL the warehouse has already
  stored or rejected for what the page said (a download failure, a bot check or a date outside an
  earlier run's window is tried again), and article requests this run has already sent (JOBDIR's
  restored queue and the re-read sitemaps name the same pages). A resumed crawl costs one read of the
  sitemaps and feeds; no stored article is fetched again. Dropped requests count as
  `newsalign/resume_skipped` and `newsalign/duplicate_skipped` in the stats.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import IgnoreRequest

from newsalign.core.urls import canonical_url
from newsalign.crawler.spiders.base import ARTICLE, SKIPPED
from newsalign.pipeline.runs import crawl_writer

# Rejections worth another try on a later run: nothing about the page itself was decided.
RETRIED_REASONS = ("outside_window", "bot_protection", "parser_error")
KNOWN_URLS = f"""
    SELECT url FROM articles WHERE url IS NOT NULL
    UNION
    SELECT url FROM article_rejects
    WHERE url IS NOT NULL AND stage NOT IN ('download', 'store') AND reason NOT IN {RETRIED_REASONS!r}
"""


class MemoryDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter without its `requests.seen` file (see the module docstring)."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)


class SkipStoredArticles:
    """Downloader middleware: article requests the warehouse already answers never reach the site."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.known: set[str] = set()
        self.sent: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider) -> None:
        writer = crawl_writer(self.crawler)  # the crawl's one connection, not a second one
        writer.open()
        urls = [url for (url,) in writer.con.execute(KNOWN_URLS).fetchall()]
        onsite = getattr(spider, "onsite", lambda url: url)  # a crawl of a local copy (`-a site=`) maps hosts
        self.known = {_canonical(onsite(url)) for url in urls}

    def process_request(self, request):
        if not request.meta.get(ARTICLE) or request.meta.get("retry_times"):
            return None
        url = _canonical(request.url)
        skip = "resume_skipped" if url in self.known else "duplicate_skipped" if url in self.sent else None
        if skip is None:
            self.sent.add(url)
            return None
        request.meta[SKIPPED] = True
        self.crawler.stats.inc_value(f"newsalign/{skip}")
        raise IgnoreRequest(f"{skip}: {request.url}")


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except ValueError:
        return url
