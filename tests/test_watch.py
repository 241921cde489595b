"""`newsalign watch` on a loopback site that gains articles, with the LLM stand-in and a tiny model:
each signal reported once, quiet cycles cost 304s, new articles alone fetched, a down LLM caught up
later, kill -9 anywhere loses and repeats nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from newsalign.cli import main
from newsalign.core.errors import NewsalignError
from newsalign.jobs.watch import ledger
from newsalign.jobs.watch.cycle import deliver, enrich_new
from newsalign.jobs.watch.reporters import JsonlReporter, WebhookReporter
from newsalign.training.decision import Decision, save_decision
from newsalign.warehouse import connect
from newsalign.warehouse.audits import run_audits
from tests.llm_server import FakeOpenAI
from tests.loopback import serving
from tests.watch_support import WatchSite, import_articles, tiny_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSALIGN_STORE_BATCH=1",
        "-s", "TELNETCONSOLE_ENABLED=False", "-s", "NEWSALIGN_ENRICH_RETRIES=0"]  # fmt: skip


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A tiny model whose kept decision makes every article a signal (threshold 0)."""
    path = tiny_model(tmp_path_factory.mktemp("watch-model") / "model")
    save_decision(path, Decision(threshold=0.0))
    return path


def _watch_args(site, model, tmp, *extra) -> list[str]:
    return ["watch", "--once", "--sources", "bbc", "--site", f"bbc={site.url}", "--model", str(model),
            "--enrich", "llm", "--jsonl", str(tmp / "signals.jsonl"), "--db", str(tmp / "lake"), *FAST, *extra]  # fmt: skip


def _q(tmp, sql, params=()):
    with connect(tmp / "lake", read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _jsonl_ids(tmp) -> list[str]:
    return [json.loads(line)["id"] for line in (tmp / "signals.jsonl").read_text().splitlines()]


def _article_paths(entries) -> list[str]:
    return sorted(path for path, _, _ in entries if "/articles/" in path or path.startswith("/news/business-"))


@pytest.mark.slow
def test_cycles_store_enrich_score_and_report_once(tmp_path, model, monkeypatch):
    with WatchSite(tmp_path) as site, FakeOpenAI() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        # cycle 1: every article stored, enriched in the pipeline, scored, reported once
        assert main(_watch_args(site, model, tmp_path)) == 0
        stored = {i for (i,) in _q(tmp_path, "SELECT id FROM v_articles_clean")}
        assert len(stored) >= 4
        assert llm.chat_requests == len(stored)
        assert {i for (i,) in _q(tmp_path, "SELECT article_id FROM llm_calls WHERE status = 'ok'")} == stored
        # asked in the item pipeline, during the crawl: the cycle's catch-up step found nothing left to ask
        assert _q(tmp_path, "SELECT max(created_at) < (SELECT max(finished) FROM crawl_runs) FROM llm_calls") == [
            (True,)
        ]
        assert _q(tmp_path, "SELECT detail->>'$.enrich.asked' FROM watch_cycles") == [("0",)]
        assert {i for (i,) in _q(tmp_path, "SELECT article_id FROM predictions")} == stored
        assert sorted(_jsonl_ids(tmp_path)) == sorted(stored)

        # an unchanged cycle: no article page, every feed and sitemap answered 304
        mark = len(site.log.entries)
        assert main(_watch_args(site, model, tmp_path)) == 0
        quiet = site.log.since(mark)
        assert _article_paths(quiet) == []
        feeds = [(p, status) for p, status, _ in quiet if p.endswith("rss.xml") or "sitemap-com-news" in p]
        assert len(feeds) == 5 and all(status == 304 for _, status in feeds)
        assert llm.chat_requests == len(stored) and len(_jsonl_ids(tmp_path)) == len(stored)

        # two new articles: exactly those fetched, enriched, scored, reported
        added = site.add_articles(2)
        mark = len(site.log.entries)
        assert main(_watch_args(site, model, tmp_path)) == 0
        assert _article_paths(site.log.since(mark)) == sorted(added)
        assert llm.chat_requests == len(stored) + 2
        ids = _jsonl_ids(tmp_path)
        assert len(ids) == len(set(ids)) == len(stored) + 2

        # the LLM down for a cycle: the new article is stored and scored, enriched a cycle later
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        (late,) = site.add_articles(1)
        assert main(_watch_args(site, model, tmp_path)) == 0
        late_id = _q(tmp_path, "SELECT id FROM v_articles_clean WHERE url LIKE ?", [f"%{late.rsplit('/', 1)[1]}"])[0][0]
        assert _q(tmp_path, "SELECT count(*) FROM llm_calls WHERE article_id = ? AND status = 'ok'", [late_id]) == [
            (0,)
        ]
        assert _q(tmp_path, "SELECT count(*) FROM predictions WHERE article_id = ?", [late_id]) == [(1,)]
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        assert main(_watch_args(site, model, tmp_path)) == 0
        assert _q(tmp_path, "SELECT count(*) FROM llm_calls WHERE article_id = ? AND status = 'ok'", [late_id]) == [
            (1,)
        ]
        ids = _jsonl_ids(tmp_path)
        assert len(ids) == len(set(ids)) == len(stored) + 3 and late_id in ids
        latency = _q(tmp_path, "SELECT count(*), min(since_published_s), min(since_first_seen_s) FROM v_watch_latency")
        assert latency[0][0] == len(stored) + 3 and latency[0][2] >= 0


class _Hook(BaseHTTPRequestHandler):
    """A webhook receiver: hangs while `hang` is set (a kill -9 lands mid-delivery), else answers 200."""

    received: list[str] = []
    hang = threading.Event()
    got = threading.Event()

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Hook.got.set()
        if _Hook.hang.is_set():
            time.sleep(60)
            return
        _Hook.received.append(body["id"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _wait_for(check, what: str, proc, seconds: float = 180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"watch exited ({proc.returncode}) before {what}: {proc.stderr.read()[-2000:]}")
        try:
            if check():
                return
        except Exception:  # the lake is being created
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_kill_9_mid_crawl_and_mid_delivery_repeats_and_loses_nothing(tmp_path, model):
    with serving(_Hook) as hook, WatchSite(tmp_path, delay=1.0) as site, FakeOpenAI() as llm:
        webhook = f"{hook}/hook"
        env = {**os.environ, "OPENAI_BASE_URL": llm.url}
        command = [sys.executable, "-m", "newsalign", *_watch_args(site, model, tmp_path, "--webhook", webhook)]

        def start():
            return subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )

        first = start()  # killed once an article is stored, mid-crawl
        _wait_for(lambda: _q(tmp_path, "SELECT count(*) FROM articles")[0][0] >= 1, "an article stored", first)
        first.kill()
        first.wait()
        _Hook.hang.set()
        second = start()  # killed while the webhook holds a delivery
        _wait_for(_Hook.got.is_set, "a webhook delivery", second, seconds=300)
        assert _q(tmp_path, "SELECT count(*) FROM watch_reports")[0][0] >= 1
        second.kill()
        second.wait()
        _Hook.hang.clear()
        third = start()
        assert third.wait(timeout=300) == 0, third.stderr.read()[-2000:]
    stored = {i for (i,) in _q(tmp_path, "SELECT id FROM v_articles_clean")}
    assert {i for (i,) in _q(tmp_path, "SELECT article_id FROM predictions")} == stored
    assert _q(tmp_path, "SELECT count(*), count(DISTINCT article_id) FROM watch_reports") == [
        (len(stored), len(stored))
    ]
    ids = _jsonl_ids(tmp_path)
    assert sorted(ids) == sorted(stored)  # each once
    assert set(_Hook.received) == stored
    with connect(tmp_path / "lake", read_only=True) as con:
        assert run_audits(con) == {}  # predictions and reports unique among them


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_ledger_reports_each_signal_once_and_jsonl_is_never_written_twice(tmp_path):
    db = tmp_path / "lake"
    with connect(db) as con:
        cycle = ledger.start_cycle(con, "h")
    import_articles(db, tmp_path, 3)
    with connect(db) as con:
        ids = [i for (i,) in con.execute("SELECT id FROM v_articles_clean ORDER BY id").fetchall()]
        con.executemany("INSERT INTO predictions VALUES (?, 'm', 'h', 0.9, 0.9, 0.5, true, now())", [(i,) for i in ids])
        reporter = JsonlReporter(tmp_path / "out.jsonl")
        assert ledger.record_new_signals(con, "h", cycle, [reporter.channel]) == 3
        assert ledger.record_new_signals(con, "h", cycle, [reporter.channel]) == 0
        rows = ledger.pending(con, "h", reporter.channel).to_dict("records")
        reporter.deliver(rows)
        reporter.deliver(rows)  # a cycle killed before recording the delivery delivers again: no new line
        assert sorted(_jsonl_ids_file(tmp_path / "out.jsonl")) == ids
        ledger.mark(con, "h", reporter.channel, ids, "delivered", {})
        assert ledger.pending(con, "h", reporter.channel).empty


def _jsonl_ids_file(path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_bad_options_are_one_line(tmp_path, capsys):
    assert main(["watch", "--once", "--sources", "bbc", "--db", str(tmp_path / "l")]) == 1
    assert "watch needs a detector" in capsys.readouterr().err
    assert main(["watch", "--every", "soon", "--enrich", "llm", "--db", str(tmp_path / "l")]) == 2
    assert "--every must be a duration" in capsys.readouterr().err
    assert main(["watch", "--once", "--enrich", "llm", "--sources", "nope", "--db", str(tmp_path / "l")]) == 2
    assert "unknown source(s): nope" in capsys.readouterr().err


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_without_a_model_the_llm_signal_is_the_detector(tmp_path, monkeypatch):
    db = tmp_path / "lake"
    with connect(db) as con:
        cycle = ledger.start_cycle(con, ledger.LLM_DETECTOR)
    import_articles(db, tmp_path, 6)
    with FakeOpenAI() as llm, connect(db) as con:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        assert enrich_new(con) == {"asked": 6, "answered_before": 0}
        assert enrich_new(con) == {"asked": 0, "answered_before": 6}
        signals = {i for (i,) in con.execute("SELECT article_id FROM llm_calls WHERE signal").fetchall()}
        reporter = JsonlReporter(tmp_path / "out.jsonl")
        assert ledger.record_new_signals(con, ledger.LLM_DETECTOR, cycle, [reporter.channel]) == len(signals)
        assert deliver(con, ledger.LLM_DETECTOR, [reporter])[reporter.channel]["delivered"] == len(signals)
    assert set(_jsonl_ids_file(tmp_path / "out.jsonl")) == signals and 0 < len(signals) < 6


class _Flaky(BaseHTTPRequestHandler):
    """A webhook that answers 503 while `down` is set."""

    down = threading.Event()
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 503 if _Flaky.down.is_set() else 200
        if status == 200:
            _Flaky.received.append({**body, "key": self.headers["Idempotency-Key"]})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_webhook_failures_are_recorded_and_retried_next_cycle(tmp_path):
    with serving(_Flaky) as hook:
        reporter = WebhookReporter(f"{hook}/?token=s3cret", attempts=2, wait=0)
        db = tmp_path / "lake"
        with connect(db) as con:
            cycle = ledger.start_cycle(con, "h")
        import_articles(db, tmp_path, 2)
        with connect(db) as con:
            ids = [i for (i,) in con.execute("SELECT id FROM v_articles_clean ORDER BY id").fetchall()]
            con.executemany(
                "INSERT INTO predictions VALUES (?, 'm', 'h', 0.9, 0.9, 0.5, true, now())", [(i,) for i in ids]
            )
            ledger.record_new_signals(con, "h", cycle, [reporter.channel])
            _Flaky.down.set()
            assert deliver(con, "h", [reporter])[reporter.channel]["failed"] == 2
            (error,) = con.execute("SELECT DISTINCT error FROM watch_deliveries WHERE status = 'failed'").fetchone()
            assert "503" in error
            stored = str(con.execute("SELECT * FROM watch_deliveries").fetchall())
            assert "s3cret" not in stored  # a webhook URL is often a secret: the lake keeps its host and a hash
            _Flaky.down.clear()
            assert deliver(con, "h", [reporter])[reporter.channel] == {"delivered": 2, "failed": 0, "error": None}
            assert deliver(con, "h", [reporter])[reporter.channel]["delivered"] == 0
    assert sorted(r["id"] for r in _Flaky.received) == ids and all(r["key"] == r["id"] for r in _Flaky.received)


def test_cycles_never_overlap_and_a_slow_one_says_so(monkeypatch):
    from newsalign.jobs.watch import loop
    from newsalign.jobs.watch.cycle import WatchOptions

    durations = iter([0.0, "fail", 0.05, 0.0, 0.0])  # the second cycle fails, the third outlasts --every

    def cycle(con, options, scorer, on_step):
        duration = next(durations)
        if duration == "fail":
            raise NewsalignError("the cycle's crawl failed (exit 1)")
        time.sleep(duration)
        return {"cycle_id": "c", "new_signals": 0}

    monkeypatch.setattr(loop, "run_cycle", cycle)
    monkeypatch.setattr(loop.warehouse, "connect", lambda db: _NullConnection())
    lines, waits = [], []
    options = WatchOptions(["bbc"])
    assert loop.watch(options, every=0.02, cycles=4, on_step=lines.append, sleep=waits.append) == 4
    assert len(waits) == 2 and all(0 < w <= 0.02 for w in waits)  # after the quick and the failed cycle
    assert any("longer than --every" in line for line in lines)
    assert any("the cycle failed" in line and "next one tries again" in line for line in lines)
    assert loop.watch(options, every=None, on_step=lines.append, sleep=waits.append) == 1  # --once


class _NullConnection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
