"""Reuters: its news sitemap, and the sitemap index for backfills. Article pages go through a real browser.

Reuters answers plain HTTP clients with a DataDome bot check (HTTP 401), so article pages are fetched by
headless Chromium through scrapy-playwright; the settings for that live here, so no other spider needs a
browser. Sitemaps and robots.txt stay plain HTTP (a browser would hand back its rendered XML viewer).
A page that is still a bot check reaches the parser, which rejects it as `bot_protection`.
"""

from __future__ import annotations

from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.crawler.spiders.base import NewsSpider


class ChromiumMissing(NewsalignError):
    """The browser the Reuters spider drives is not installed."""


def skip_heavy_resources(request) -> bool:
    """Abort images, media and fonts: the text is all we keep."""
    return request.resource_type in {"image", "media", "font"}


class ReutersSpider(NewsSpider):
    name = "reuters"
    base_url = "https://www.reuters.com"
    # The index of the news sitemap's pages (one page holds only the latest 100 stories).
    news_sitemaps = ("https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml",)
    archive_sitemaps = ("https://www.reuters.com/arc/outboundfeeds/sitemap-index/?outputType=xml",)
    robots_sitemap_follow = (r"news-sitemap",)
    deny = (r"/(video|pictures|graphics)/",)
    article_meta = {"playwright": True}
    handle_httpstatus_list = [401, 403]  # let the parser see (and name) a bot-check page
    custom_settings = {
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        },
        "PLAYWRIGHT_ABORT_REQUEST": skip_heavy_resources,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 2,
    }

    @classmethod
    def update_settings(cls, settings) -> None:
        """Chromium announces our USER_AGENT on every request it makes (favicon and subresources too),
        not its own browser string."""
        super().update_settings(settings)
        contexts = settings.getdict("PLAYWRIGHT_CONTEXTS") or {"default": {}}
        for context in contexts.values():
            context.setdefault("user_agent", settings["USER_AGENT"])
        settings.set("PLAYWRIGHT_CONTEXTS", contexts, priority="spider")

    @classmethod
    def check_arguments(cls, settings=None, **kwargs):
        if settings is not None:
            chromium = chromium_path(settings)
            if not Path(chromium).exists():
                raise ChromiumMissing(
                    f"the reuters spider needs Chromium at {chromium} (apt-get install chromium, "
                    "or set PLAYWRIGHT_LAUNCH_OPTIONS executable_path)"
                )
        return super().check_arguments(settings, **kwargs)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        cls.check_arguments(crawler.settings, **kwargs)
        return super().from_crawler(crawler, *args, **kwargs)


def chromium_path(settings) -> str:
    return settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path") or "/usr/bin/chromium"
