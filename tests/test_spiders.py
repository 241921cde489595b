"""Spiders without a crawl: arguments, the `site` override, and discovery from sitemaps, feeds and robots.txt
(fed the demo sample's files as Scrapy responses)."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.settings import Settings

from newsalign.crawler.items import Article, PageRejected
from newsalign.crawler.spiders.base import SpiderArgumentError
from newsalign.crawler.spiders.bbc import BbcSpider
from newsalign.crawler.spiders.reuters import ChromiumMissing, ReutersSpider
from newsalign.crawler.spiders.techcrunch import TechcrunchSpider
from newsalign.crawler.spiders.techradar import TechradarSpider
from newsalign.crawler.spiders.wccftech import WccftechSpider
from newsalign.demo.server import SAMPLE_DIR

ROOT = Path(__file__).resolve().parents[1]
SITE = "http://127.0.0.1:8123"


def xml(source: str, rel: str, url: str | None = None) -> XmlResponse:
    return XmlResponse(url=url or f"{SITE}/{rel}", body=(SAMPLE_DIR / source / rel).read_bytes())


def urls(results) -> list[str]:
    return [r.url for r in results]


def article_paths(results) -> list[str]:
    return sorted(r.url.removeprefix(SITE) for r in results if r.callback.__name__ == "parse_article")


def test_no_spider_callback_is_a_generator_returning_a_value():
    """Scrapy's per-response check (WARN_ON_GENERATOR_RETURN_VALUE, off in crawler/settings.py), made once here: a
    value returned from a generator callback would be lost without a word."""
    import inspect

    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.misc import is_generator_with_return_value

    from newsalign.crawler.config import crawl_settings

    loader = SpiderLoader.from_settings(crawl_settings())
    spiders = [loader.load(name) for name in loader.list()]
    assert len(spiders) == 6
    methods = {  # callbacks are public (a private helper such as `_article_request` is only ever `yield from`-ed)
        method
        for spider in spiders
        for name, method in inspect.getmembers(spider, inspect.isfunction)
        if method.__module__.startswith("newsalign.")
        and not name.startswith("_")
        and inspect.isgeneratorfunction(method)
    }
    assert len(methods) > 5  # parse_article, parse_discovery, request_failed, the Guardian's API and day pages, ...
    assert [m.__qualname__ for m in methods if is_generator_with_return_value(m)] == []


# --- arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "yesterday"}, "since must be an ISO date like 2024-05-01, got 'yesterday'"),
        ({"until": "2024-13-01"}, "until must be an ISO date"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "since (2024-05-02) is after until (2024-05-01)"),
        ({"limit": "0"}, "limit must be a positive integer, got '0'"),
        ({"limit": "-3"}, "limit must be a positive integer"),
        ({"limit": "ten"}, "limit must be a positive integer"),
        ({"limit": "1.5"}, "limit must be a positive integer"),
        ({"site": "ftp://example.com"}, "site must be a base URL like http://127.0.0.1:8123"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(SpiderArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BbcSpider(**kwargs)


def test_good_arguments_are_parsed():
    spider = BbcSpider(since="2024-05-01", until="2024-05-31", limit="10")
    assert (str(spider.window.since), str(spider.window.until), spider.limit) == ("2024-05-01", "2024-05-31", 10)


def test_reuters_says_when_chromium_is_missing(tmp_path):
    settings = Settings({"PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": str(tmp_path / "chromium")}})
    with pytest.raises(ChromiumMissing, match="needs Chromium at .*apt-get install chromium"):
        ReutersSpider.check_arguments(settings)


@pytest.mark.slow
def test_scrapy_lists_exactly_the_six_spiders():
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["bbc", "guardian", "reuters", "techcrunch", "techradar", "wccftech"]


@pytest.mark.slow
def test_scrapy_crawl_with_a_bad_date_prints_one_clear_line():
    out = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "bbc", "-a", "since=yesterday"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert (
        out.stderr.strip().splitlines()[-1]
        == "Error: spider bbc: since must be an ISO date like 2024-05-01, got 'yesterday'"
    )
    assert "Traceback" not in out.stderr
    assert "Spider opened" not in out.stderr  # refused before any request


# --- the site override -------------------------------------------------------------------------------
def test_site_moves_every_host_of_the_site_onto_the_base_url():
    spider = BbcSpider(site=SITE + "/ignored/path")
    assert spider.allowed_domains == ["127.0.0.1"]
    assert spider.onsite("https://www.bbc.com/news/articles/x?y=1") == f"{SITE}/news/articles/x?y=1"
    assert spider.onsite("https://feeds.bbci.co.uk/news/rss.xml") == f"{SITE}/news/rss.xml"
    assert spider.onsite("https://example.org/elsewhere") == "https://example.org/elsewhere"
    assert BbcSpider().allowed_domains == ["feeds.bbci.co.uk", "www.bbc.co.uk", "www.bbc.com"]


def start_urls(spider) -> list[str]:
    async def collect():
        return [r.url async for r in spider.start()]

    return asyncio.run(collect())


def test_start_reads_news_sitemaps_feeds_and_robots_but_archives_only_with_a_window():
    plain = start_urls(TechradarSpider(site=SITE))
    assert plain == [f"{SITE}/robots.txt", f"{SITE}/sitemap-news.xml", f"{SITE}/feeds.xml"]
    backfill = start_urls(TechradarSpider(site=SITE, since="2026-10-01"))
    assert backfill == plain + [f"{SITE}/sitemap.xml"]


# --- discovery ---------------------------------------------------------------------------------------
def test_robots_txt_sitemaps_are_followed_when_they_look_like_news():
    spider = BbcSpider(site=SITE)
    found = urls(
        spider.parse_robots(TextResponse(f"{SITE}/robots.txt", body=(SAMPLE_DIR / "bbc/robots.txt").read_bytes()))
    )
    assert found == [f"{SITE}/sitemaps/https-index-com-news.xml"]


def test_news_sitemap_index_sitemap_and_feed_give_article_requests_once_each():
    spider = BbcSpider(site=SITE)
    index = urls(spider.parse_discovery(xml("bbc", "sitemaps/https-index-com-news.xml")))
    assert index == [f"{SITE}/sitemaps/https-sitemap-com-news-1.xml"]
    from_sitemap = article_paths(spider.parse_discovery(xml("bbc", "sitemaps/https-sitemap-com-news-1.xml")))
    assert len(from_sitemap) == 5 and "/news/business-68123457" in from_sitemap
    from_feed = article_paths(spider.parse_discovery(xml("bbc", "news/business/rss.xml")))
    assert from_feed == ["/news/articles/c5q8s3w6j4no", "/news/articles/c8kd3n2w7r5o"]  # saltcell already requested


def test_since_until_keeps_entries_and_dated_sitemaps_inside_the_window():
    spider = TechradarSpider(site=SITE, since="2026-10-01", until="2026-10-31")
    assert urls(spider.parse_discovery(xml("techradar", "sitemap.xml"))) == [f"{SITE}/sitemap-2026-10.xml"]
    assert (
        article_paths(spider.parse_discovery(xml("techradar", "sitemap-news.xml"))) == []
    )  # November publication dates
    assert article_paths(spider.parse_discovery(xml("techradar", "feeds.xml"))) == [
        "/networking/wi-fi-7-routers-are-finally-getting-cheap"
    ]


def test_lastmod_before_since_skips_a_sitemap_and_sitemap_follow_picks_children():
    spider = WccftechSpider(site=SITE, since="2026-11-01")
    assert urls(spider.parse_discovery(xml("wccftech", "sitemap_index.xml"))) == [f"{SITE}/post-sitemap.xml"]
    body = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://wccftech.com/post-sitemap7.xml</loc><lastmod>2026-09-01T00:00:00+00:00</lastmod></sitemap>
      <sitemap><loc>https://wccftech.com/post-sitemap8.xml</loc><lastmod>2026-11-02T00:00:00+00:00</lastmod></sitemap>
      <sitemap><loc>https://wccftech.com/post-sitemap9.xml</loc></sitemap></sitemapindex>"""
    found = urls(spider.parse_discovery(XmlResponse(f"{SITE}/sitemap_index.xml", body=body)))
    assert found == [f"{SITE}/post-sitemap8.xml", f"{SITE}/post-sitemap9.xml"]


def test_limit_caps_article_requests_across_sources():
    spider = TechcrunchSpider(site=SITE, limit=2)
    first = article_paths(spider.parse_discovery(xml("techcrunch", "news-sitemap.xml")))
    more = article_paths(spider.parse_discovery(xml("techcrunch", "feed/index.xml")))
    assert len(first) == 2 and more == []


def test_gzipped_sitemaps_are_read():
    spider = TechcrunchSpider(site=SITE)
    body = gzip.compress((SAMPLE_DIR / "techcrunch/news-sitemap.xml").read_bytes())
    response = TextResponse(f"{SITE}/news-sitemap.xml.gz", body=body)
    assert len(article_paths(spider.parse_discovery(response))) == 4


def test_a_page_that_is_not_a_sitemap_or_feed_is_skipped():
    spider = TechcrunchSpider(site=SITE)
    assert (
        list(spider.parse_discovery(HtmlResponse(f"{SITE}/news-sitemap.xml", body=b"<html><body>moved</body></html>")))
        == []
    )


# --- article pages -----------------------------------------------------------------------------------
def page(source: str, rel: str, path: str) -> HtmlResponse:
    url = SITE + path
    return HtmlResponse(url, body=(SAMPLE_DIR / source / rel).read_bytes(), request=Request(url))


def test_article_pages_go_to_the_parser_and_dates_outside_the_window_are_rejected():
    rel, path = (
        "networking/wi-fi-7-routers-are-finally-getting-cheap.html",
        "/networking/wi-fi-7-routers-are-finally-getting-cheap",
    )
    [inside] = TechradarSpider(site=SITE, since="2026-10-01").parse_article(page("techradar", rel, path))
    assert isinstance(inside, Article) and inside.url == "https://www.techradar.com" + path
    [outside] = TechradarSpider(site=SITE, since="2026-11-01").parse_article(page("techradar", rel, path))
    assert isinstance(outside, PageRejected) and outside.reason == "outside_window"


def test_a_bot_check_page_is_rejected_and_logged(caplog):
    path = "/markets/us/wall-street-rallies-chip-stocks-lead-2026-11-21/"
    [item] = ReutersSpider(site=SITE).parse_article(page("reuters", path.strip("/") + "/index.html", path))
    assert isinstance(item, PageRejected) and item.reason == "bot_protection"
    assert "still a bot-protection page" in caplog.text


# --- discovery: canonical URLs, denied families, dry run ---------------------------------------------
RSS = """<?xml version="1.0"?><rss version="2.0"><channel>{}</channel></rss>"""


def rss(*links: str) -> XmlResponse:
    items = "".join(f"<item><link>{link}</link></item>" for link in links)
    return XmlResponse(url=f"{SITE}/news/rss.xml", body=RSS.format(items).encode())


def test_feed_links_are_canonicalised_before_the_request_and_denied_families_skipped():
    spider = BbcSpider()
    found = list(
        spider.parse_discovery(
            rss(
                "https://www.bbc.co.uk/news/articles/c0l4x2m8q1vo?at_medium=RSS&at_campaign=rss",
                "https://www.bbc.co.uk/news/articles/c0l4x2m8q1vo",
                "https://www.bbc.com/news/live/c1234567",
                "https://www.bbc.com/news/av/world-12345678",
                "https://www.bbc.com/reel/video/p0abc",
                "http://[::1",
            )
        )
    )
    assert urls(found) == ["https://www.bbc.co.uk/news/articles/c0l4x2m8q1vo"]
    assert spider.counts["skipped/duplicate"] == 1 and spider.counts["skipped/denied"] == 3
    assert spider.counts["skipped/bad_url"] == 1 and spider.counts["requested"] == 1


def test_techradar_denies_non_article_url_families():
    spider = TechradarSpider()
    links = (
        "https://www.techradar.com/deals/best-laptop-deals",
        "https://www.techradar.com/compare/iphone-16-vs-pixel-9",
        "https://www.techradar.com/outlink/amazon/123",
        "https://www.techradar.com/news?page=3",
        "https://www.techradar.com/news/a-real-story",
    )
    assert urls(spider.parse_discovery(rss(*links))) == ["https://www.techradar.com/news/a-real-story"]
    assert spider.counts["skipped/denied"] == 4


def test_dry_run_lists_what_would_be_requested_without_article_requests(caplog):
    spider = BbcSpider(dry_run="1")
    results = list(spider.parse_discovery(xml("bbc", "news/rss.xml")))
    assert results == [] and spider.counts["requested"] > 0
    assert spider.counts["found/sitemap"] == sum(
        v for k, v in spider.counts.items() if k.startswith(("requested", "skipped/"))
    )
    with caplog.at_level("INFO"):
        spider.closed("finished")
    assert "dry run of bbc: " in caplog.text and "requested" in caplog.text
