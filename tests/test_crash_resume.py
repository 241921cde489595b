"""`kill -9` of a real `scrapy crawl` at random points, then the same command again: every article ends
up stored exactly once, and no article stored before the kill is downloaded again (with and without
Scrapy's JOBDIR, whose seen-requests file outlives its queue after a kill)."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from bench.bench_crawl import build_large_site
from newsalign.demo.server import RequestLog, serve_sample
from tests.helpers import rows, scrapy_crawl
from tests.loopback import HeldLog

ROOT = Path(__file__).resolve().parents[1]
PAGES = 60
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_crash_resume")]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    build_large_site(root, PAGES)
    return root


def article_paths(log: RequestLog, start: int = 0) -> list[str]:
    return [path for _, path, _ in log.entries[start:] if "/bench-story-" in path]


@pytest.mark.parametrize("seed, jobdir", [(1, False), (2, True), (3, False)])
def test_kill_9_midway_then_rerun_stores_every_article_once(site, tmp_path, seed, jobdir):
    db = tmp_path / "lake"
    extra = (f"JOBDIR={tmp_path / 'job'}",) if jobdir else ()
    kill_after = random.Random(seed).randint(8, PAGES - 8)  # article downloads before the kill
    log = HeldLog(answered=kill_after, markers=("/bench-story-",))  # later articles wait until the kill
    with serve_sample(("techcrunch",), log=log, root=site) as sites:
        first = scrapy_crawl(db, sites["techcrunch"], *extra)
        deadline = time.monotonic() + 120
        while not log.held() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait()
        log.release()
        assert first.returncode == -signal.SIGKILL, "the crawl ended before the kill point"
        stored_before = {url for (url,) in rows(db, "SELECT url FROM articles")}
        start = len(log.entries)
        second = scrapy_crawl(db, sites["techcrunch"], *extra)
        assert second.wait(timeout=300) == 0, second.stderr.read()[-3000:]
    assert rows(db, "SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM articles") == [(PAGES,) * 3]
    refetched = {p for p in article_paths(log, start) if f"https://techcrunch.com{p}" in stored_before}
    assert refetched == set()
    assert rows(db, "SELECT stage, reason, url FROM article_rejects WHERE url LIKE '%bench-story%'") == []
