"""The Guardian: its news sitemap and section feeds for recent articles; for a `since`/`until` backfill,
its open content API (every article since 1999; the key from $GUARDIAN_API_KEY only, never logged or
stored) or, without a key, the site's own "all articles of the day" page of each section, day by day."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from newsalign.core.dates import parse_date
from newsalign.core.secrets import api_key, guard_logs
from newsalign.crawler.spiders.base import NewsSpider

API_URL = "https://content.guardianapis.com/search"
KEY_VARIABLE = "GUARDIAN_API_KEY"
SECTIONS = ("business", "technology", "science", "world", "money", "environment")
PAGE_SIZE = 200  # the content API's largest page
DAY_PAGES_DEFAULT_DAYS = 31  # a day-page backfill with `until` but no `since` reads this many days


class GuardianSpider(NewsSpider):
    name = "guardian"
    base_url = "https://www.theguardian.com"
    news_sitemaps = ("https://www.theguardian.com/sitemaps/news.xml",)
    feeds = (
        "https://www.theguardian.com/uk/business/rss",
        "https://www.theguardian.com/uk/technology/rss",
        "https://www.theguardian.com/science/rss",
        "https://www.theguardian.com/world/rss",
    )
    robots_sitemap_follow = (r"/sitemaps/news\.xml",)
    deny = (r"/(crosswords|football/live|audio|video)/",)

    @classmethod
    def discovery_urls(cls) -> tuple[str, ...]:
        return (*super().discovery_urls(), API_URL)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        async for request in super().start():
            yield request
        if not self.window.bounded:
            return
        if api_key(KEY_VARIABLE):
            guard_logs()  # the key rides in the API URL: every log line is scrubbed of it
            yield self.api_request(page=1)
        else:
            for day in self.backfill_days():
                for section in SECTIONS:
                    url = f"{self.base_url}/{section}/{day:%Y}/{day:%b}/{day:%d}/all".lower()
                    yield self.request(self.onsite(url), self.parse_day_page, {"discovery": "day_page"})

    # --- with a key: the content API ----------------------------------------------------------------
    def api_request(self, page: int) -> scrapy.Request:
        since, until = self.window.since, self.window.until
        query = {"section": "|".join(SECTIONS), "order-by": "oldest", "page-size": PAGE_SIZE, "page": page}
        query |= {"from-date": since.isoformat()} if since else {}
        query |= {"to-date": until.isoformat()} if until else {}
        query["api-key"] = api_key(KEY_VARIABLE)  # read at call time
        return self.request(self.onsite(f"{API_URL}?{urlencode(query)}"), self.parse_api, {"discovery": "api"})

    def parse_api(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            answer = json.loads(response.text)["response"]
            results, page, pages = answer["results"], int(answer["currentPage"]), int(answer["pages"])
        except (ValueError, KeyError, TypeError):
            self.logger.error(
                "the Guardian content API answered something that is not a search result (HTTP %s)", response.status
            )
            return
        for result in results:
            if not isinstance(result, dict) or result.get("type") != "article":  # live blogs, galleries, audio
                self._count(f"skipped/api_{result.get('type') if isinstance(result, dict) else 'malformed'}")
                continue
            published = parse_date(result.get("webPublicationDate"))
            yield from self._article_request(result.get("webUrl"), "api", self.window.contains(published))
        if page < pages and not self._limit_reached():
            yield self.api_request(page + 1)

    # --- without a key: the dated day pages -----------------------------------------------------------
    def backfill_days(self) -> Iterator[date]:
        until = self.window.until or date.today()
        day = self.window.since or until - timedelta(days=DAY_PAGES_DEFAULT_DAYS - 1)
        while day <= until:
            yield day
            day += timedelta(days=1)

    def parse_day_page(self, response: Response) -> Iterator[scrapy.Request]:
        """A section's list of one day's articles: the links to that day's article pages."""
        day_path = response.url.rsplit("/all", 1)[0].split("/", 3)[-1].split("/", 1)[-1]  # "2026/nov/17"
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href)
            if f"/{day_path}/" in url and not url.rstrip("/").endswith("/all"):
                yield from self._article_request(url, "day_page")
