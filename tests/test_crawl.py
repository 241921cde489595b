"""Full crawls of the sample sites on loopback, through every pipeline into a warehouse, one child
process per crawl (Scrapy's reactor runs once per process). The sites are served from this process,
so the tests see every request the spiders made."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from newsalign.crawler import settings as project_settings
from newsalign.crawler.config import chromium_available
from newsalign.demo.server import RequestLog, serve_sample
from newsalign.jobs.in_turn import in_turn_command
from tests.helpers import rows

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bbc", "guardian", "techcrunch", "techradar", "wccftech") + (("reuters",) if chromium_available() else ())
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_crawl")]


def crawl(
    db: Path, sites: dict[str, str], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    command = in_turn_command(db, sites, *args)
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def full_crawl(tmp_path_factory):
    """The crawl, with its user state folder (where Scrapy's remote control would leave its job files) its own."""
    db = tmp_path_factory.mktemp("crawl") / "warehouse"
    log = RequestLog()
    with serve_sample(SOURCES, log=log) as sites:
        crawl(db, sites, env={"XDG_STATE_HOME": str(db.parent / "state")})
    return db, log


EXPECTED_STORED = {"bbc": 5, "guardian": 3, "techcrunch": 5, "techradar": 4, "wccftech": 4, "reuters": 4}
EXPECTED_REJECTS = {
    ("bbc", "parse", "video"),
    ("bbc", "filter", "language"),
    ("guardian", "parse", "live_blog"),
    ("reuters", "parse", "bot_protection"),
}


def test_every_spider_stores_its_articles(full_crawl):
    db, _ = full_crawl
    stored = dict(rows(db, "SELECT source, count(*) FROM v_articles_clean GROUP BY source"))
    if "reuters" in SOURCES:
        assert stored == EXPECTED_STORED
    else:  # the Reuters original is missing, so the Guardian's syndicated copy stays
        assert stored == {**{s: n for s, n in EXPECTED_STORED.items() if s != "reuters"}, "guardian": 4}
    assert rows(db, "SELECT count(*) FROM articles WHERE url LIKE 'http://127.0.0.1%'") == [(0,)]  # canonical URLs


def test_rejections_are_recorded_with_reasons(full_crawl):
    db, _ = full_crawl
    rejects = set(rows(db, "SELECT source, stage, reason FROM article_rejects"))
    assert {r for r in EXPECTED_REJECTS if r[0] in SOURCES} <= rejects
    if "reuters" in SOURCES:  # the Guardian's copy of the Reuters story, one way or the other
        assert rejects & {("guardian", "dedup", "superseded"), ("guardian", "dedup", "near_duplicate")}


def test_each_crawl_is_recorded_as_a_finished_run(full_crawl):
    db, _ = full_crawl
    runs = rows(db, "SELECT spider, status, fetched FROM crawl_runs ORDER BY spider")
    assert [r[0] for r in runs] == sorted(SOURCES)
    assert all(status == "finished" and fetched > 0 for _, status, fetched in runs)


def test_robots_txt_is_read_and_obeyed(full_crawl):
    db, log = full_crawl
    for source in SOURCES:
        assert "/robots.txt" in log.paths(source)
    assert not [p for p in log.paths("techcrunch") if p.startswith("/preview/")]
    assert rows(db, "SELECT count(*) FROM articles WHERE url LIKE '%/preview/%'") == [(0,)]
    agents = {agent for _, path, agent in log.entries if not path.startswith("/robots.txt")}
    assert agents == {project_settings.USER_AGENT}


def test_a_crawl_runs_no_remote_control_server(full_crawl):
    """Scrapy's RemoteControl extension (on by default) serves a `/execute` endpoint running any Python sent to it
    and leaves a job file with its token in the user's state folder: our crawls never start it."""
    db, _ = full_crawl
    assert not (db.parent / "state").exists()


def test_since_until_backfills_from_the_dated_sitemap(tmp_path):
    log = RequestLog()
    with serve_sample(("techradar",), log=log) as sites:
        crawl(tmp_path / "lake", sites, "-a", "since=2026-10-01", "-a", "until=2026-10-31")
    paths = log.paths("techradar")
    assert "/sitemap-2026-10.xml" in paths
    assert "/sitemap-2026-11.xml" not in paths and "/sitemap-2026-09.xml" not in paths
    assert rows(tmp_path / "lake", "SELECT url FROM articles") == [
        ("https://www.techradar.com/networking/wi-fi-7-routers-are-finally-getting-cheap",)
    ]


def test_limit_caps_the_article_pages_requested(tmp_path):
    log = RequestLog()
    with serve_sample(("bbc",), log=log) as sites:
        crawl(tmp_path / "lake", sites, "-a", "limit=2")
    articles = [p for p in log.paths("bbc") if "/articles/" in p or "/business-" in p]
    assert len(articles) == 2


def test_a_dry_run_reads_the_site_only_and_never_opens_the_warehouse(tmp_path):
    log = RequestLog()
    with serve_sample(("bbc",), log=log) as sites:
        done = crawl(tmp_path / "lake", sites, "-a", "dry_run=1", "-s", "LOG_LEVEL=INFO")
    assert not (tmp_path / "lake").exists()  # no run row, no folder: nothing written
    assert "dry run: would request" in done.stderr and "dry run of bbc: " in done.stderr
    assert not [p for p in log.paths("bbc") if "/articles/" in p]


def test_a_crawl_stopped_midway_resumes_with_jobdir_without_losing_or_duplicating(tmp_path):
    db, job = tmp_path / "lake", tmp_path / "job"
    one_at_a_time = ["-s", f"JOBDIR={job}", "-s", "CLOSESPIDER_ITEMCOUNT=2", "-s", "CONCURRENT_REQUESTS=1"]
    log = RequestLog()
    with serve_sample(("techcrunch",), log=log, delay=0.2) as sites:  # the same server (and port) for both runs
        crawl(db, sites, *one_at_a_time)
        stored = {url.removeprefix("https://techcrunch.com") for (url,) in rows(db, "SELECT url FROM articles")}
        start = len(log.entries)
        resumed = crawl(db, sites, *one_at_a_time, "-s", "CLOSESPIDER_ITEMCOUNT=0", "-s", "LOG_LEVEL=INFO")
    assert 2 <= len(stored) < 5, "the first run should have stopped before the end"
    assert "Resuming crawl" in resumed.stderr
    assert rows(db, "SELECT count(*), count(DISTINCT id) FROM articles") == [(5, 5)]
    again = Counter(p for _, p, _ in log.entries[start:] if p.startswith("/2026/"))
    assert not set(again) & stored and set(again.values()) == {1}, again  # no stored article fetched again
    assert [r[0] for r in rows(db, "SELECT status FROM crawl_runs ORDER BY started")] == [
        "closespider_itemcount",
        "finished",
    ]
