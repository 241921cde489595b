"""`newsalign review` as a person uses it: the real server process, the page in real Chromium (Debian's),
keys only. Set REVIEW_SCREENSHOT=docs/review.png to keep the screenshot the disagree test takes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newsalign.crawler.config import chromium_available
from newsalign.warehouse import connect
from tests.helpers import rows
from tests.loopback import free_port
from tests.review_support import demo_like_lake
from tests.trends_support import add_articles

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "browser-test-token"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("test_review_browser"),
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]


class Server:
    """`newsalign review` in its own process, ready once its page answers."""

    def __init__(self, db: Path, annotator: str, *args: str):
        self.port = free_port()
        command = [sys.executable, "-m", "newsalign", "review", "--db", str(db), "--annotator", annotator]
        command += ["--port", str(self.port), "--token", TOKEN, *args]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.port}/"
        while True:  # until the page answers, or the process has ended
            if self.process.poll() is not None:
                pytest.fail(f"the review server exited: {self.process.stderr.read()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)  # polling for readiness, not waiting a fixed time

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def lake(db_path):
    con = connect(db_path)
    demo_like_lake(con)
    con.close()
    return db_path


@pytest.fixture
def servers():
    started = []
    yield lambda *args: started.append(Server(*args)) or started[-1]
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        yield browser
        browser.close()


def open_page(browser, server: Server, token: str | None = TOKEN):
    page = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    page.goto(server.url + (f"#token={token}" if token is not None else ""))
    return page


def shown(page) -> str:
    page.wait_for_function("() => document.body.dataset.shown !== undefined")
    return page.evaluate("document.body.dataset.shown")


def press(page, key: str, acked: int) -> None:
    """Press `key` and wait until the server has acknowledged `acked` requests in all."""
    page.keyboard.press(key)
    page.wait_for_function(f"() => Number(document.body.dataset.acked) >= {acked}")


def test_keys_decide_skip_undo_and_the_lake_holds_exactly_those(browser, lake, servers):
    server = servers(lake, "ann", "--seed", "3")
    page = open_page(browser, server)
    first = shown(page)
    press(page, "y", 1)
    second = shown(page)
    press(page, "s", 2)
    third = shown(page)
    press(page, "n", 3)
    fourth = shown(page)
    press(page, "u", 4)
    assert shown(page) == third  # undo brings it back
    press(page, "Backspace", 5)
    assert shown(page) == second
    press(page, "y", 6)
    assert shown(page) == third
    assert len({first, second, third, fourth}) == 4
    got = rows(lake, "SELECT article_id, decision, undone_at IS NOT NULL FROM human_labels ORDER BY decided_at")
    assert got == [(first, "signal", False), (second, "skip", True), (third, "not", True), (second, "signal", False)]
    assert page.inner_text("#decided") == "2"  # first and second stand
    assert page.inner_text("#left") == "18"


def test_kill_9_after_acknowledged_decisions_loses_none(browser, lake, servers):
    server = servers(lake, "ann", "--seed", "4")
    page = open_page(browser, server)
    said = []
    for n, key in enumerate("ynys", start=1):
        said.append(shown(page))
        press(page, key, n)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    got = rows(lake, "SELECT article_id, decision FROM human_labels WHERE undone_at IS NULL ORDER BY decided_at")
    assert got == list(zip(said, ["signal", "not", "signal", "skip"]))


def test_a_hostile_article_shows_as_text_and_runs_nothing(browser, db_path, servers):
    title = "<img src=x onerror=\"window.owned = 1; document.title = 'owned'\">"
    body = "<script>window.owned = 2; document.title = 'owned'</script>Quarterly results were fine."
    con = connect(db_path)
    add_articles(con, [{"id": "evil", "title": title, "text": body}])
    con.close()
    page = open_page(browser, servers(db_path, "ann"))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert shown(page) == "evil"
    assert page.inner_text(".title") == title
    assert page.inner_text(".lead").startswith("<script>window.owned = 2")
    assert page.evaluate("window.owned") is None
    assert page.title() == "newsalign review · gold"
    assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0
    press(page, "n", 1)
    assert shown(page) == "" and page.inner_text("main") == "Nothing left in the gold queue."  # an empty queue says so
    assert errors == []


def test_two_annotators_at_once_never_share_a_gold_article(browser, lake, servers):
    ann, bob = servers(lake, "ann", "--seed", "9", "--overlap", "0"), None
    bob = servers(lake, "bob")
    pages = {"ann": open_page(browser, ann), "bob": open_page(browser, bob)}
    seen = {"ann": [], "bob": []}
    acked = {"ann": 0, "bob": 0}
    while any(pages.values()):
        for name, page in list(pages.items()):
            if page is None:
                continue
            current = shown(page)
            if not current:
                pages[name] = None
                continue
            seen[name].append(current)
            acked[name] += 1
            press(page, "y", acked[name])
    assert not set(seen["ann"]) & set(seen["bob"])
    assert len(seen["ann"]) + len(seen["bob"]) == 20 and seen["ann"] and seen["bob"]
    assert rows(lake, "SELECT count(DISTINCT article_id), count(*) FROM human_labels") == [(20, 20)]


def test_the_token_is_refused_when_missing_or_wrong(browser, lake, servers):
    server = servers(lake, "ann")
    page = open_page(browser, server, token=None)
    assert "write token" in page.inner_text("main")
    page = open_page(browser, server, token="wrong")
    page.wait_for_function("() => document.body.dataset.error !== undefined")
    assert "missing or wrong write token" in page.inner_text("#note")
    page.keyboard.press("y")
    assert rows(lake, "SELECT count(*) FROM human_labels") == [(0,)]
    assert rows(lake, "SELECT count(*) FROM review_claims") == [(0,)]


def test_binding_beyond_loopback_without_a_token_is_refused_in_one_line(db_path):
    env = {k: v for k, v in os.environ.items() if k != "NEWSALIGN_REVIEW_TOKEN"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsalign",
            "review",
            "--db",
            str(db_path),
            "--host",
            "0.0.0.0",
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: --host 0.0.0.0 is not loopback")
    assert done.stdout == ""


def test_the_disagree_queue_shows_the_labels_and_sparklines(browser, lake, servers, tmp_path):
    page = open_page(browser, servers(lake, "ann", "--queue", "disagree"))
    while shown(page) and "rising chips" not in page.inner_text(
        "main"
    ):  # to an article whose topic has a stored series
        acked = int(page.evaluate("document.body.dataset.acked"))
        press(page, "s", acked + 1)
    assert page.locator("main svg polyline").count() == 1
    assert "LLM:" in page.inner_text(".labels")
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.keyboard.press("?")
    shot = tmp_path / "review.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("REVIEW_SCREENSHOT"):
        shutil.copy(shot, ROOT / os.environ["REVIEW_SCREENSHOT"])
