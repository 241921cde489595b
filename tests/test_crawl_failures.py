"""Every failure of a real crawl is a row in `article_rejects`: HTTP errors after retries, timeouts,
connection resets, robots.txt refusals and offsite links (stage `download`), and a parser that raises
(stage `parse`, reason `parser_error`); the run still finishes and counts them."""

from __future__ import annotations

import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from newsalign.crawler.items import PageRejected
from newsalign.crawler.spiders.techcrunch import TechcrunchSpider
from newsalign.demo.server import SAMPLE_DIR
from tests.helpers import quiet_settings, rows
from tests.loopback import serving

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "2026/11/19/lintwise-raises-12m-seed-to-let-ai-review-pull-requests/"
PATHS = {  # path -> what the test server does
    f"/{ARTICLE}": "article",
    "/2026/11/01/missing/": 404,
    "/2026/11/02/broken/": 500,
    "/2026/11/03/reset/": "reset",
    "/2026/11/04/slow/": "slow",
    "/preview/2026/11/05/draft/": "article",  # robots.txt disallows /preview/
}


class Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path
        if path == "/robots.txt":
            return self.send(200, (SAMPLE_DIR / "techcrunch/robots.txt").read_bytes(), "text/plain")
        if path == "/news-sitemap.xml":
            urls = [f"https://techcrunch.com{p}" for p in PATHS] + ["https://elsewhere.example/2026/11/06/x/"]
            body = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
            return self.send(
                200, f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()
            )
        action = PATHS.get(path, 404)
        if action == "article":
            return self.send(200, (SAMPLE_DIR / "techcrunch" / ARTICLE / "index.html").read_bytes(), "text/html")
        if action == "reset":
            self.connection.shutdown(2)  # no response at all
            return
        if action == "slow":
            time.sleep(3)
        self.send(action if isinstance(action, int) else 200, b"nothing here", "text/html")

    def send(self, status: int, body: bytes, kind: str = "application/xml") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (the timeout case)
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_every_download_failure_is_recorded_and_the_run_finishes(tmp_path):
    db = tmp_path / "lake"
    with serving(Site) as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "techcrunch", "-a", f"site={site}"]
        command += quiet_settings(f"NEWSALIGN_DB={db}", "DOWNLOAD_TIMEOUT=1", "RETRY_ENABLED=True", "RETRY_TIMES=1")
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rejects = {
        (url.split("/", 3)[-1], stage, reason)
        for url, stage, reason in rows(db, "SELECT url, stage, reason FROM article_rejects")
    }
    assert {
        ("2026/11/01/missing/", "download", "http_404"),
        ("2026/11/02/broken/", "download", "http_500"),
        ("2026/11/03/reset/", "download", "connection_failed"),
        ("2026/11/06/x/", "download", "offsite"),
        ("2026/11/04/slow/", "download", "timeout"),
        ("preview/2026/11/05/draft/", "download", "robots_txt"),
        ("feed/", "download", "http_404"),
    } <= rejects
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
    [(status, counts)] = rows(db, "SELECT status, counts FROM crawl_runs")
    assert status == "finished" and '"download/timeout": 1' in counts
    [(by_reason,)] = rows(db, "SELECT rejected_by_reason FROM v_crawl_stats WHERE source = 'techcrunch'")
    assert by_reason["download/http_500"] == 1


def test_a_parser_that_raises_costs_one_page_recorded_as_parser_error(monkeypatch):
    from scrapy.http import HtmlResponse

    from newsalign.crawler.spiders import base

    def broken(source, body, url):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(base, "parse_page", broken)
    response = HtmlResponse("https://techcrunch.com/2026/11/19/x/", body=b"<html></html>")
    [item] = list(TechcrunchSpider().parse_article(response))
    assert isinstance(item, PageRejected)
    assert (item.stage, item.reason) == ("parse", "parser_error") and "RecursionError" in item.detail
