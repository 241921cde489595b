"""What every news spider shares: validated arguments and URL discovery.

A spider names its site's discovery URLs (news sitemaps, RSS/Atom feeds, dated archive sitemaps);
this class reads them with Scrapy's sitemap utilities, keeps the entries inside the `since`/`until`
window, stops at `limit` article requests, and hands each article page to `crawler.parsers.parse_page`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from newsalign.core.dates import parse_date
from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.core.urls import canonical_url
from newsalign.crawler.items import PageRejected
from newsalign.crawler.parsers import parse_page
from newsalign.crawler.spiders.ordered import Bisection, numbered_groups
from newsalign.crawler.spiders.window import DateWindow, parse_limit, url_period

ARTICLE = "newsalign_article"  # Request.meta key: an article page (the resume check reads it)
SKIPPED = "newsalign_skipped"  # Request.meta key: dropped because the warehouse has it already
FAILURE_REASONS = (  # Scrapy's download errors (after its retries) -> our reason
    ((DownloadTimeoutError, TimeoutError), "timeout"),
    ((CannotResolveHostError,), "dns"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError), "connection_refused"),
    ((DownloadFailedError, ResponseDataLossError, ConnectionError), "connection_failed"),
)


# What a crawl opens the warehouse through, besides the item pipelines (crawler/settings.py).
_WAREHOUSE_COMPONENTS = (
    ("EXTENSIONS", "newsalign.pipeline.runs.CrawlRunRecorder"),
    ("DOWNLOADER_MIDDLEWARES", "newsalign.pipeline.resume.SkipStoredArticles"),
    ("DOWNLOADER_MIDDLEWARES", "newsalign.pipeline.conditional.ConditionalDiscovery"),
)


class SpiderArgumentError(NewsalignError):
    """A bad `-a name=value` spider argument."""


class NewsSpider(scrapy.Spider):
    """Base of the six spiders. Subclasses set `name`, `base_url` and their discovery URLs.

    Arguments (`scrapy crawl NAME -a since=2024-05-01 -a until=2024-05-31 -a limit=100`):
      since, until  ISO dates (inclusive, UTC); with either, dated archive sitemaps are read too (backfill)
      limit         at most this many article pages requested
      site          base URL standing in for every host of the site, e.g. http://127.0.0.1:8123
      dry_run       1: read the discovery sources and list the article URLs that would be requested, with
                    counts per discovery source and per skip reason, without fetching any article or
                    opening the warehouse
    """

    base_url: ClassVar[str]
    news_sitemaps: ClassVar[tuple[str, ...]] = ()  # recent articles: news sitemaps or indexes of them
    feeds: ClassVar[tuple[str, ...]] = ()  # RSS or Atom feeds
    archive_sitemaps: ClassVar[tuple[str, ...]] = ()  # indexes of dated sitemaps; read only with since/until
    robots_sitemap_follow: ClassVar[tuple[str, ...]] = ()  # regexes: robots.txt `Sitemap:` lines worth reading
    sitemap_follow: ClassVar[tuple[str, ...]] = ()  # regexes: children of a sitemap index worth reading (all if empty)
    deny: ClassVar[tuple[str, ...]] = ()  # regexes: URLs never requested as articles (counted as skipped/denied)
    extra_domains: ClassVar[tuple[str, ...]] = ()  # hosts the site's feeds link to besides its discovery hosts
    article_meta: ClassVar[dict[str, Any]] = {}  # extra Request.meta for article pages (reuters: playwright)
    max_sitemap_size: int = 16 * 1024 * 1024  # gunzipped sitemap limit; DOWNLOAD_MAXSIZE when crawling

    def __init__(
        self,
        *args: Any,
        since: str | None = None,
        until: str | None = None,
        limit: str | int | None = None,
        site: str | None = None,
        dry_run: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.window, self.limit, self.site = self.check_arguments(since=since, until=until, limit=limit, site=site)
        self.dry_run = str(dry_run or "").strip().lower() in ("1", "true", "yes")
        self.counts: Counter[str] = Counter()  # "found/<discovery source>", "skipped/<reason>", "requested"
        self.site_hosts = self.hosts()
        hosts = [urlsplit(self.site).hostname] if self.site else sorted(self.site_hosts)
        kwargs.setdefault("allowed_domains", hosts)
        super().__init__(*args, **kwargs)
        self._deny = [re.compile(p) for p in self.deny]
        self._robots_follow = [re.compile(p) for p in self.robots_sitemap_follow]
        self._follow = [re.compile(p) for p in self.sitemap_follow]
        self._requested: set[str] = set()
        self._bisections: list[Bisection] = []

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_sitemap_size = crawler.settings.getint("DOWNLOAD_MAXSIZE", spider.max_sitemap_size)
        if spider.dry_run:  # reads the sites only: no pipelines, no run row, nothing opened in the warehouse
            for name, component in _WAREHOUSE_COMPONENTS:
                crawler.settings.set(name, {**crawler.settings.getdict(name), component: None}, priority="spider")
            crawler.settings.set("ITEM_PIPELINES", {}, priority="spider")
        return spider

    @classmethod
    def hosts(cls) -> set[str]:
        """Every host this spider fetches pages from: its base URL's, its discovery sources', `extra_domains`."""
        return {urlsplit(u).netloc for u in (cls.base_url, *cls.discovery_urls())} | set(cls.extra_domains)

    @classmethod
    def check_arguments(
        cls, settings: Any = None, *, since=None, until=None, limit=None, site=None, **_: Any
    ) -> tuple[DateWindow, int | None, str | None]:
        """Validate the spider arguments (before any request); SpiderArgumentError names the bad one."""
        try:
            window, limit = DateWindow.parse(since, until), parse_limit(limit)
        except ValueError as exc:
            raise SpiderArgumentError(f"spider {cls.name}: {exc}") from None
        return window, limit, _parse_site(site, cls.name) if site else None

    # --- discovery ------------------------------------------------------------------------------
    @classmethod
    def discovery_urls(cls) -> tuple[str, ...]:
        return (*cls.news_sitemaps, *cls.feeds, *cls.archive_sitemaps)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        urls = [*self.news_sitemaps, *self.feeds]
        if self.window.bounded:
            urls += self.archive_sitemaps
        if self._robots_follow:
            yield self.request(self.onsite(f"{self.base_url}/robots.txt"), self.parse_robots, {"discovery": "robots"})
        for url in urls:
            kind = "feed" if url in self.feeds else "news_sitemap" if url in self.news_sitemaps else "archive_sitemap"
            yield self.request(self.onsite(url), self.parse_discovery, {"discovery": kind})

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if any(p.search(url) for p in self._robots_follow):
                yield self.request(self.onsite(url), self.parse_discovery, {"discovery": "robots"})

    def parse_discovery(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap index, a sitemap or a feed: request what it lists inside the window."""
        body = response.body
        if gzip_magic_number(response):
            body = gunzip(body, max_size=self.max_sitemap_size)
        sitemap = _sitemap(body)
        kind = sitemap.type if sitemap else ""
        source = response.request.meta.get("discovery", "sitemap") if response.request else "sitemap"
        if kind == "sitemapindex":
            yield from self._follow_index(sitemap, source)
        elif kind == "urlset":
            dates = _news_dates(body)
            entries = list(sitemap)
            for entry in entries:
                loc = entry["loc"]
                published = dates.get(loc)
                period = url_period(loc)  # an article URL's own date (/2024/05/17/) is its publication day
                if published is not None:
                    keep = self.window.contains(published)
                elif period is not None:
                    keep = self.window.overlaps(*period)
                else:  # lastmod is the latest change: before `since` means published before it too
                    keep = self.window.may_contain_lastmod(parse_date(entry.get("lastmod")))
                yield from self._article_request(loc, source, keep)
            if response.request is not None and "bisection" in response.request.meta:
                yield from self._next_children(response, entries)
        elif kind in ("rss", "feed", "RDF"):
            for link, published in _feed_entries(body):
                yield from self._article_request(link, source, self.window.contains(published))
        else:
            self.logger.warning("%s is not a sitemap or feed (HTTP %s); skipped", response.url, response.status)

    def _follow_index(self, index: Iterable[dict[str, str]], source: str) -> Iterator[scrapy.Request]:
        entries = [e for e in index if not self._follow or any(p.search(e["loc"]) for p in self._follow)]
        ordered = (
            numbered_groups([e["loc"] for e in entries if url_period(e["loc"]) is None]) if self.window.bounded else []
        )
        searched = {url for group in ordered for url in group}
        for group in ordered:  # read O(log n) of them (crawler/spiders/ordered.py)
            bisection = Bisection(group, self.window)
            self._bisections.append(bisection)
            yield from self._read_children(len(self._bisections) - 1, bisection.first(), source)
        for entry in entries:
            if self._limit_reached():
                return
            loc = entry["loc"]
            if loc in searched:
                continue
            period = url_period(loc)
            if period is not None:
                keep = self.window.overlaps(*period)
            else:
                keep = self.window.may_contain_lastmod(parse_date(entry.get("lastmod")))
            if keep:
                yield self.request(self.onsite(loc), self.parse_discovery, {"discovery": source})
            else:
                self._count("skipped/sitemap_outside_window")

    def _read_children(self, search: int, children: list[int], source: str) -> Iterator[scrapy.Request]:
        group = self._bisections[search].children
        for i in children:
            meta = {"discovery": source, "bisection": (search, i)}
            yield self.request(self.onsite(group[i]), self.parse_discovery, meta)

    def _next_children(self, response: Response, entries: list[dict[str, str]]) -> Iterator[scrapy.Request]:
        """After a child of an ordered group was read: the next ones its URL dates call for."""
        search, i = response.request.meta["bisection"]
        bisection = self._bisections[search]
        periods = [p for p in (url_period(e["loc"]) for e in entries) if p is not None]
        span = (min(p[0] for p in periods), max(p[1] for p in periods)) if periods else None
        following = bisection.observe(i, span)
        yield from self._read_children(search, following, response.request.meta["discovery"])
        if bisection.done:  # the search ended: count the children it never read
            for _ in range(bisection.skipped):
                self._count("skipped/sitemap_outside_window")

    def _article_request(self, url: str | None, source: str, in_window: bool = True) -> Iterator[scrapy.Request]:
        """A request for an article URL found in `source`, unless it is skipped (each skip counted by reason).

        The URL is canonicalised first (tracking parameters such as `at_medium=RSS` dropped), so a feed's
        copy and a sitemap's copy of one article are one request."""
        self._count(f"found/{source}")
        if not url:
            return self._count("skipped/no_url")
        if not in_window:
            return self._count("skipped/outside_window")
        try:
            url = canonical_url(url)
        except ValueError:
            return self._count("skipped/bad_url")
        if any(p.search(url) for p in self._deny):
            return self._count("skipped/denied")
        url = self.onsite(url)
        if url in self._requested:
            return self._count("skipped/duplicate")
        if self._limit_reached():
            return self._count("skipped/limit")
        self._requested.add(url)
        self._count("requested")
        if self.dry_run:
            self.logger.info("dry run: would request %s (from %s)", url, source)
            return
        yield self.request(url, self.parse_article, {ARTICLE: True, **self.article_meta})

    def _count(self, key: str) -> None:
        self.counts[key] += 1
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(f"newsalign/discovery/{key}")

    def closed(self, reason: str) -> None:
        if self.dry_run:
            summary = ", ".join(f"{key} {n}" for key, n in sorted(self.counts.items()))
            self.logger.info("dry run of %s: %s", self.name, summary or "nothing found")

    def _limit_reached(self) -> bool:
        return self.limit is not None and len(self._requested) >= self.limit

    def request(self, url: str, callback, meta: dict[str, Any] | None = None) -> scrapy.Request:
        """A request whose failure (after Scrapy's retries) is recorded as a `download` rejection."""
        return scrapy.Request(url, callback=callback, errback=self.request_failed, meta=meta or {})

    def request_failed(self, failure: Failure) -> Iterator[PageRejected]:
        request = failure.request
        if request.meta.get(SKIPPED):  # already in the warehouse (newsalign.pipeline.resume): not a failure
            return
        reason, detail = download_failure(failure)
        url, detail = scrub(request.url), scrub(detail)  # an API key in a query string never reaches a row
        self.logger.info("%s: %s (%s)", url, reason, detail)
        yield PageRejected(self.name, url, reason, detail, stage="download")

    # --- articles -------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        try:
            item = parse_page(self.name, response.body, response.url)
        except Exception as exc:  # a parser bug must cost one page, recorded, not the crawl
            self.logger.exception("%s: the %s parser failed", response.url, self.name)
            item = PageRejected(self.name, response.url, "parser_error", f"{type(exc).__name__}: {exc}"[:500])
        if isinstance(item, PageRejected):
            if item.reason == "bot_protection":
                self.logger.warning(
                    "%s: still a bot-protection page (HTTP %s): %s", response.url, response.status, item.detail
                )
        elif not self.window.contains(item.date_published):
            item = PageRejected(
                self.name, response.url, "outside_window", f"published {item.date_published:%Y-%m-%d}; {self.window}"
            )
        yield item

    # --- the `site` override ----------------------------------------------------------------------
    def onsite(self, url: str) -> str:
        """`url`, moved onto the `site` base URL when one is given and `url` is on one of the site's hosts."""
        if not self.site:
            return url
        parts = urlsplit(url)
        if parts.netloc not in self.site_hosts:
            return url
        base = urlsplit(self.site)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def download_failure(failure: Failure) -> tuple[str, str]:
    """(reason, detail) of a request that got no usable response."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}", f"HTTP {exc.response.status} after retries"
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return "robots_txt", message
        if "offsite" in message:
            return "offsite", message
        return "ignored", message
    for kinds, reason in FAILURE_REASONS:
        if isinstance(exc, kinds):
            return reason, f"{type(exc).__name__}: {exc}"[:500]
    return "download_error", f"{type(exc).__name__}: {exc}"[:500]


def _parse_site(site: str, name: str) -> str:
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(f"spider {name}: site must be a base URL like http://127.0.0.1:8123, got {site!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _sitemap(body: bytes) -> Sitemap | None:
    try:
        return Sitemap(body)
    except (StopIteration, lxml.etree.XMLSyntaxError):  # empty or not XML at all
        return None


def _news_dates(body: bytes) -> dict[str, Any]:
    """loc -> news:publication_date of a Google News sitemap (Scrapy's Sitemap drops nested tags)."""
    if b"publication_date" not in body:
        return {}
    selector = scrapy.Selector(text=body.decode("utf-8", "replace"), type="xml")
    selector.remove_namespaces()
    dates = {}
    for url in selector.xpath("//url"):
        loc, published = url.xpath("loc/text()").get(), url.xpath(".//publication_date/text()").get()
        if loc and published:
            dates[loc.strip()] = parse_date(published)
    return {loc: d for loc, d in dates.items() if d is not None}


def _feed_entries(body: bytes) -> Iterator[tuple[str | None, Any]]:
    """(link, published) of each RSS item or Atom entry. Selectors rather than feedparser: two fields."""
    selector = scrapy.Selector(text=body.decode("utf-8", "replace"), type="xml")
    selector.remove_namespaces()
    for entry in selector.xpath("//item | //entry"):
        link = entry.xpath("link/text()").get() or entry.xpath("link[not(@rel) or @rel='alternate']/@href").get()
        published = entry.xpath("pubDate/text() | published/text() | date/text() | updated/text()").get()
        yield link, parse_date(published)
