"""The Guardian's backfill: with $GUARDIAN_API_KEY, the content API's search pages (the key read from the
environment only, and found nowhere in the warehouse or the logs); without one, the day pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from newsalign.demo.server import SAMPLE_DIR, RequestLog, sample_handler
from tests.helpers import ROOT, quiet_settings, rows
from tests.loopback import serving

KEY = "test-guardian-key-5f0c2e9a"
ARTICLES = {  # webUrl -> (type, published)
    "https://www.theguardian.com/business/2026/nov/17/kelpform-seaweed-packaging-startup-raises-25m": (
        "article",
        "2026-11-17T09:00:00Z",
    ),
    "https://www.theguardian.com/money/2026/nov/12/train-fares-to-rise-in-march-operators-confirm": (
        "article",
        "2026-11-12T07:00:00Z",
    ),
    "https://www.theguardian.com/business/live/2026/nov/20/markets-stocks-oil-chip-shares-business-live": (
        "liveblog",
        "2026-11-20T08:00:00Z",
    ),
    "https://www.theguardian.com/environment/2026/nov/14/heat-pump-installations-hit-record-as-grant-scheme-expands": (
        "article",
        "2026-11-14T06:00:00Z",
    ),
}
pytestmark = pytest.mark.slow


def guardian_site(log: RequestLog) -> type[BaseHTTPRequestHandler]:
    """The sample Guardian site plus a stand-in for the content API (/search, two result pages, 401 without
    the key, echoing the key in its error like careless servers do) and for one day page."""
    base = sample_handler("guardian", SAMPLE_DIR / "guardian", log, 0.0)

    class Handler(base):
        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path == "/search":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                log.add("guardian", self.path, self.headers.get("User-Agent", ""))
                if query.get("api-key") != KEY:
                    return self.answer(401, {"message": f"Invalid authentication credentials: {query.get('api-key')}"})
                items = sorted(ARTICLES.items(), key=lambda kv: kv[1][1])
                page = int(query.get("page", 1))
                chunk = items[(page - 1) * 2 : page * 2]
                results = [{"type": t, "webUrl": u, "webPublicationDate": d} for u, (t, d) in chunk]
                return self.answer(
                    200, {"response": {"status": "ok", "currentPage": page, "pages": 2, "results": results}}
                )
            if parts.path == "/business/2026/nov/17/all":
                log.add("guardian", self.path, self.headers.get("User-Agent", ""))
                links = (
                    "".join(f'<a href="{u}">x</a>' for u in ARTICLES) + '<a href="/business/2026/nov/16/other">y</a>'
                )
                return self.answer(200, f"<html><body>{links}</body></html>", "text/html")
            return super().do_GET()

        def answer(self, status, body, kind="application/json"):
            data = (json.dumps(body) if not isinstance(body, str) else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def crawl(db: Path, log: RequestLog, *args: str, key: str | None) -> subprocess.CompletedProcess:
    """`scrapy crawl guardian` against the stand-in site (its requests in `log`), with `key` as the only
    GUARDIAN_API_KEY in the environment; asserts it exits cleanly."""
    env = {k: v for k, v in os.environ.items() if k != "GUARDIAN_API_KEY"} | ({"GUARDIAN_API_KEY": key} if key else {})
    with serving(guardian_site(log)) as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "guardian", "-a", f"site={site}", *args]
        command += quiet_settings(f"NEWSALIGN_DB={db}", "LOG_LEVEL=DEBUG")
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_content_api_backfills_a_window_and_the_key_leaks_nowhere(tmp_path):
    log = RequestLog()
    done = crawl(tmp_path / "w", log, "-a", "since=2026-11-01", "-a", "until=2026-11-18", key=KEY)
    searches = [p for p in log.paths("guardian") if p.startswith("/search")]
    assert len(searches) == 2 and all("from-date=2026-11-01" in p and "to-date=2026-11-18" in p for p in searches)
    stored = {url for (url,) in rows(tmp_path / "w", "SELECT url FROM articles")}
    assert {u for u in ARTICLES if ARTICLES[u][0] == "article"} <= stored  # the live blog is never requested
    assert not [p for p in log.paths("guardian") if "/live/" in p]
    assert KEY not in done.stderr and KEY not in done.stdout
    assert all(KEY.encode() not in path.read_bytes() for path in (tmp_path / "w").parent.rglob("*") if path.is_file())


def test_a_wrong_key_is_recorded_without_the_key(tmp_path):
    log = RequestLog()
    done = crawl(tmp_path / "w", log, "-a", "since=2026-11-01", key="wrong-key-123456789")
    [(reason, url)] = rows(tmp_path / "w", "SELECT reason, url FROM article_rejects WHERE url LIKE '%/search%'")
    assert reason == "http_401" and "wrong-key" not in url and "wrong-key-123456789" not in done.stderr


def test_without_a_key_the_day_pages_backfill_a_window(tmp_path):
    log = RequestLog()
    crawl(tmp_path / "w", log, "-a", "since=2026-11-17", "-a", "until=2026-11-17", key=None)
    days = sorted(p for p in log.paths("guardian") if p.endswith("/all"))
    assert days == sorted(
        f"/{s}/2026/nov/17/all" for s in ("business", "technology", "science", "world", "money", "environment")
    )
    assert not [p for p in log.paths("guardian") if p.startswith("/search")]
    assert "/business/2026/nov/17/kelpform-seaweed-packaging-startup-raises-25m" in log.paths("guardian")
    assert "/business/2026/nov/16/other" not in log.paths("guardian")  # another day's link
