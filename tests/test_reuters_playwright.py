"""The Reuters spider through scrapy-playwright and a real headless Chromium, against the loopback sample."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsalign.crawler.config import chromium_available
from newsalign.demo.server import RequestLog, serve_sample
from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not chromium_available(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


def test_reuters_articles_come_through_chromium_and_the_bot_check_is_rejected(tmp_path):
    db = tmp_path / "lake"
    log = RequestLog()
    with serve_sample(("reuters",), log=log) as sites:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsalign.jobs.in_turn",
                "--db",
                str(db),
                f"--site=reuters={sites['reuters']}",
                "-s",
                "LOG_LEVEL=INFO",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    # Article pages were navigations of the browser (5 pages: 4 articles and the bot check), sitemaps were not.
    navigations = re.search(r"'playwright/request_count/navigation': (\d+)", done.stderr)
    assert navigations and int(navigations.group(1)) == 5, done.stderr[-3000:]
    assert "still a bot-protection page (HTTP 401)" in done.stderr
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM articles WHERE source = 'reuters'").fetchone() == (4,)
    assert con.execute("SELECT stage, reason FROM article_rejects").fetchall() == [("parse", "bot_protection")]
    text = con.execute("SELECT text FROM articles WHERE url LIKE '%heliomax%'").fetchone()[0]
    assert text.startswith("Fusion energy startup Heliomax said on Monday") and len(text.split()) > 200
    assert "/robots.txt" in log.paths("reuters")
