"""`newsalign review` at scale: on a 30k-article lake, (1) the server's time per decision (store it, then
the next article and the progress: the `Server-Timing` the app measures) against the 50 ms goal, and
(2) in real Chromium, the time from a keypress to the next article on screen, side by side with the
time until the server's answer arrives (what a page without the preloaded article would make a person
wait), against the 100 ms goal. Ratios > 1 beat the goal.

Synthetic lake: 30k articles over six sources with LLM answers, the gold sample drawn over all of them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ARTICLES = 30_000
DECISIONS = 200
KEYPRESSES = 60
SERVER_GOAL_MS, PAGE_GOAL_MS = 50.0, 100.0
TOKEN = "bench-token"


def build(db: Path) -> None:
    from newsalign.review.queues import draw_gold
    from newsalign.warehouse import connect

    con = connect(db)
    con.execute(
        f"""INSERT INTO articles (id, source, title, date_published, text, authors, tags, fetched_at, page_type, content_hash, word_count)
        SELECT 'a' || lpad(i::VARCHAR, 6, '0'),
               ['bbc', 'guardian', 'techcrunch', 'techradar', 'wccftech', 'reuters'][1 + i % 6],
               'Article ' || i || ' about chips and markets', TIMESTAMPTZ '2024-01-15' + INTERVAL (i % 365) DAY,
               repeat('A paragraph of news text. ', 60), [], [], now(), 'article', 'h' || i, 300
        FROM range({ARTICLES}) t(i)"""
    )
    con.execute(
        f"""INSERT INTO llm_calls (cache_key, article_id, content_hash, model, prompt_version, mode, status, flags, topics, signal, rationale, request)
        SELECT 'k' || i, 'a' || lpad(i::VARCHAR, 6, '0'), 'h' || i, 'bench', 'bench', 'recorded', 'ok', [],
               ['topic ' || (i % 500), 'topic ' || (i % 37)], i % 5 = 0, 'because', '{{}}' FROM range({ARTICLES}) t(i)"""
    )
    draw_gold(con, seed=1)
    con.close()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def server_times(db: Path) -> list[float]:
    """Milliseconds the app spent on each decision (store + next article + progress), in process."""
    from starlette.testclient import TestClient

    from newsalign.review.app import TOKEN_HEADER, create_app
    from newsalign.review.queues import GoldQueue
    from newsalign.warehouse import connect

    con = connect(db)
    client = TestClient(create_app(con, GoldQueue.load(con), annotator="bench", token=TOKEN))
    headers = {TOKEN_HEADER: TOKEN}
    held = [item["id"] for item in client.post("/api/next", json={"want": 2}, headers=headers).json()["items"]]
    times = []
    for n in range(DECISIONS):
        current, *held = held
        body = {"article_id": current, "decision": "signal" if n % 3 else "not", "want": 1, "exclude": held}
        answer = client.post("/api/decide", json=body, headers=headers)
        times.append(float(answer.headers["server-timing"].split("dur=")[1]))
        held += [item["id"] for item in answer.json()["items"]]
    return times


# Installed through the DevTools protocol (which the page's CSP does not govern): the time of each keydown,
# of the next frame after the article changed, and of each server answer.
_PROBE = """() => {
  window.__bench = {keys: [], shown: [], acked: []};
  document.addEventListener("keydown", () => window.__bench.keys.push(performance.now()), true);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.attributeName === "data-shown") requestAnimationFrame(() => window.__bench.shown.push(performance.now()));
      if (r.attributeName === "data-acked") window.__bench.acked.push(performance.now());
    }
  }).observe(document.body, {attributes: true});
}"""


def page_times(db: Path) -> tuple[list[float], list[float]]:
    """(keypress → next article painted, keypress → server's answer), in ms, in Chromium against the real server."""
    from playwright.sync_api import sync_playwright

    port = 8765
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsalign",
            "review",
            "--db",
            str(db),
            "--annotator",
            "page",
            "--port",
            str(port),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(server.stderr.read().decode()) from None
                time.sleep(0.05)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page()
            page.goto(url + f"#token={TOKEN}")
            page.wait_for_function("() => document.body.dataset.shown")
            page.evaluate(_PROBE)
            for n in range(1, KEYPRESSES + 1):
                page.keyboard.press("y" if n % 2 else "n")
                page.wait_for_function(
                    f"() => window.__bench.acked.length >= {n} && window.__bench.shown.length >= {n}"
                )
            probe = page.evaluate("() => window.__bench")
            browser.close()
    finally:
        server.terminate()
        server.wait()
    keys = probe["keys"]
    return [s - k for k, s in zip(keys, probe["shown"])], [a - k for k, a in zip(keys, probe["acked"])]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lake"
        started = time.perf_counter()
        build(db)
        print(f"lake: {ARTICLES} articles, gold sample drawn, in {time.perf_counter() - started:.1f} s")
        server = server_times(db)
        p50, p95 = percentile(server, 50), percentile(server, 95)
        print(f"server, store + next article + progress: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {DECISIONS} decisions")
        print(f"  goal {SERVER_GOAL_MS:.0f} ms / p95: {SERVER_GOAL_MS / p95:.2f}x")
        shown, acked = page_times(db)
        s95, a95 = percentile(shown, 95), percentile(acked, 95)
        print(f"Chromium, keypress -> next article painted: p50 {percentile(shown, 50):.1f} ms, p95 {s95:.1f} ms")
        print(f"Chromium, keypress -> server's answer (a page without preload waits this): p95 {a95:.1f} ms")
        print(
            f"  goal {PAGE_GOAL_MS:.0f} ms / p95: {PAGE_GOAL_MS / s95:.2f}x; preload vs waiting for the server: {a95 / s95:.2f}x"
        )
