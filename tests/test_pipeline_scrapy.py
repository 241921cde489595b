"""The pipelines and the run recorder inside a real Scrapy crawl of a loopback server (one shared writer)."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import textwrap

import pytest

from newsalign.warehouse import connect
from tests.loopback import serving

SPIDER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta, timezone
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings
    from newsalign.crawler.items import Article, PageRejected

    BODY = ("The central bank raised interest rates again on Tuesday, surprising markets and economists who "
            "had expected a pause in the tightening cycle this quarter, officials said in a statement.")

    class Loopback(scrapy.Spider):
        name = "loopback"

        async def start(self):
            for page in ("a.html", "b.html", "live.html"):
                yield scrapy.Request(f"{base}/{page}")

        def parse(self, response):
            if "live" in response.url:
                yield PageRejected(self.name, response.url, "live_blog", "LiveBlogPosting")
                return
            when = datetime.now(timezone.utc) - timedelta(days=1)
            # Tracking parameters are stripped; b.html has a.html's text -> dedup/duplicate_content.
            yield Article(id="", source=self.name, url=response.url + "?utm_source=x", title="Rates",
                          date_published=when, text=BODY)

    base, db = sys.argv[1], sys.argv[2]
    settings = get_project_settings()
    settings.setdict({"NEWSALIGN_DB": db, "NEWSALIGN_MIN_WORDS": 10, "ROBOTSTXT_OBEY": False,
                      "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "INFO"}, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(Loopback)
    process.start()
""")


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    for page in ("a.html", "b.html", "live.html"):
        (root / page).write_text(f"<html><body>{page}</body></html>")
    with serving(functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))) as url:
        yield url


@pytest.mark.slow
def test_scrapy_crawl_stores_records_rejects_and_the_run(site, db_path):
    done = subprocess.run(
        [sys.executable, "-c", SPIDER, site, str(db_path)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 stored, 2 rejected" in done.stderr  # the per-reason report in the crawl log
    con = connect(db_path, read_only=True)
    [(url,)] = con.execute("SELECT url FROM articles").fetchall()
    assert "utm_source" not in url
    assert sorted(con.execute("SELECT stage, reason FROM article_rejects").fetchall()) == [
        ("dedup", "duplicate_content"),
        ("parse", "live_blog"),
    ]
    [(spider, source, status, fetched, stored, rejected, counts)] = con.execute(
        "SELECT spider, source, status, fetched, stored, rejected, counts FROM crawl_runs"
    ).fetchall()
    assert (spider, source, status, fetched, stored, rejected) == ("loopback", "loopback", "finished", 3, 1, 2)
    assert '"parse/live_blog": 1' in counts
    [(stats_row,)] = con.execute("SELECT fetched FROM v_crawl_stats WHERE source = 'loopback'").fetchall()
    assert stats_row == 3
