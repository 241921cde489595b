"""`newsalign crawl all`: every source at once in one process into one warehouse, the same articles as
one crawl after another, a clean stop on Ctrl-C, and a re-run that resumes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsalign.crawler.config import chromium_available
from newsalign.demo.server import serve_sample
from newsalign.jobs.in_turn import in_turn_command
from tests.helpers import rows
from tests.loopback import HeldLog

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bbc", "guardian", "techcrunch", "techradar", "wccftech") + (("reuters",) if chromium_available() else ())
pytestmark = pytest.mark.slow


def crawl_all(db: Path, sites: dict[str, str], *args: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "newsalign", "crawl", "all", "--db", str(db), "--sources", ",".join(sites)]
    command += [arg for source, url in sites.items() for arg in ("--site", f"{source}={url}")]
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def one_after_another(db: Path, sites: dict[str, str]) -> None:
    done = subprocess.run(in_turn_command(db, sites), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_all_sources_at_once_store_what_one_after_another_stores(tmp_path):
    with serve_sample(SOURCES) as sites:
        together = crawl_all(tmp_path / "together", sites)
        out, err = together.communicate(timeout=300)
        assert together.returncode == 0, err[-3000:]
        one_after_another(tmp_path / "sequential", sites)
    query = "SELECT source, url FROM v_articles_clean ORDER BY ALL"
    assert rows(tmp_path / "together", query) == rows(tmp_path / "sequential", query)
    assert rows(tmp_path / "together", "SELECT count(DISTINCT spider), count(*) FROM crawl_runs") == [
        (len(SOURCES), len(SOURCES))
    ]
    stored = rows(tmp_path / "together", "SELECT count(*) FROM v_articles_clean")[0][0]
    assert f"{stored:,} articles stored" in out
    for source in SOURCES:
        assert source in out  # the summary has a row per source


def test_ctrl_c_stops_every_crawl_cleanly_and_the_same_command_resumes(tmp_path):
    db = tmp_path / "lake"
    log = HeldLog(answered=1, markers=("/articles/", "/2026/"))  # the second article waits for the Ctrl-C
    sources = ("bbc", "guardian", "techcrunch")
    with serve_sample(sources, log=log, delay=0.3) as sites:
        first = crawl_all(db, sites, "-s", "CONCURRENT_REQUESTS=1")  # the rest wait in the scheduler
        deadline = time.monotonic() + 120
        while not log.held() and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        log.release()  # a graceful stop lets the request in flight finish
        out, err = first.communicate(timeout=120)
        statuses = {status for (status,) in rows(db, "SELECT status FROM crawl_runs")}
        assert statuses == {"shutdown"} and all(r[0] is not None for r in rows(db, "SELECT finished FROM crawl_runs"))
        assert "Run the same command again to resume" in err
        before = rows(db, "SELECT count(*) FROM articles")[0][0]
        again = crawl_all(db, sites)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0, err[-3000:]
    assert before < 14, "the first run should have stopped before the end"
    assert rows(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [
        (14, 14)
    ]  # bbc 5, guardian 4, techcrunch 5


def test_bad_arguments_are_one_line_before_any_request(tmp_path):
    for args, message in (
        (["--sources", "bbc,nope"], "unknown source(s): nope"),
        (["--since", "yesterday"], "--since must be a day like 2024-06-15"),
        (["-s", "DOWNLOAD_DELAY"], "-s must be NAME=VALUE"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "newsalign", "crawl", "all", "--db", str(tmp_path / "lake"), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
