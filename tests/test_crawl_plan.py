"""`newsalign crawl plan` for real: two Scrapyd daemons on loopback, a PostgreSQL-catalogued lake, the
demo's sample sites on loopback. Every article lands once, a killed job is queued again, a second plan
on the same lake refuses, a re-run skips what is done, and each bad input is one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newsalign.demo.server import serve_sample
from newsalign.jobs.plan.ledger import Window, month_windows
from newsalign.jobs.plan.scrapyd import Node
from tests.helpers import rows
from tests.loopback import HeldLog, free_port
from tests.scrapyd_nodes import DAEMONS, scrapyd_node, scrapyd_nodes

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bbc", "techcrunch", "techradar")  # techradar has an October article; bbc and techcrunch none
EXPECTED = {"bbc": 5, "techcrunch": 5, "techradar": 4}


def plan(db: str, nodes: list[str], sites: dict[str, str], *args: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "newsalign", "crawl", "plan", "--db", db, "--nodes", ",".join(nodes)]
    command += ["--since", "2026-10", "--until", "2026-11", "--sources", ",".join(sites), "--poll", "0.3"]
    command += [arg for source, url in sites.items() for arg in ("--site", f"{source}={url}")]
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def november_job_fetching(nodes: list[str], log: HeldLog) -> tuple[int, str]:
    """The pid of bbc's November job and its node, once it has fetched the articles `log` answers and
    waits on the next one (held: the job cannot finish before the test acts and calls `log.release()`)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        pid, node = running_job_and_node(nodes, "bbc_20261101")
        if pid and len(log.articles("bbc")) > log.answered:
            return pid, node
        time.sleep(0.05)
    raise AssertionError("bbc's November job never ran")


def running_job_and_node(nodes: list[str], prefix: str) -> tuple[int | None, str | None]:
    """The pid of the running job whose id starts with `prefix`, and the node that runs it."""
    for node in nodes:
        for job in Node(node).jobs()["running"]:
            if job["id"].startswith(prefix) and job.get("pid"):
                return job["pid"], node
    return None, None


def test_month_windows_cover_the_range_once_clipped_to_the_days_given():
    from datetime import date

    windows = month_windows(["bbc"], date(2024, 1, 15), date(2024, 3, 10))
    assert windows == [
        Window("bbc", date(2024, 1, 15), date(2024, 1, 31)),
        Window("bbc", date(2024, 2, 1), date(2024, 2, 29)),
        Window("bbc", date(2024, 3, 1), date(2024, 3, 10)),
    ]
    assert [w.label for w in windows] == ["bbc 2024-01-15..2024-01-31", "bbc 2024-02", "bbc 2024-03-01..2024-03-10"]


@pytest.mark.slow
def test_a_plan_on_two_nodes_lands_every_article_once_through_a_killed_job_and_a_second_plan(tmp_path, postgres_lake):
    log = HeldLog(answered=2)
    with serve_sample(SOURCES, log=log) as sites, scrapyd_nodes(tmp_path) as nodes:
        first = plan(postgres_lake, nodes, sites, "-s", "NEWSALIGN_STORE_BATCH=1")
        pid, _ = november_job_fetching(nodes, log)
        os.kill(pid, signal.SIGKILL)
        second = plan(postgres_lake, nodes, sites)  # the same plan again, while the first runs (held by `log`)
        _, err2 = second.communicate(timeout=120)
        log.release()
        out, err = first.communicate(timeout=400)
        assert first.returncode == 0, err[-3000:]
        again = plan(postgres_lake, nodes, sites)
        out3, err3 = again.communicate(timeout=120)
    assert second.returncode != 0 and "another plan" in err2 and "Traceback" not in err2, err2
    assert "bbc 2026-11: ended without finishing its window; queued again (try 2)" in err, err
    assert "6 windows crawled" in out and "0 failed" in out, out + err
    assert "bbc 2026-10: done, 0 articles stored" in err  # a window with no articles is done, empty
    # every article exactly once, however many jobs fetched it
    assert rows(postgres_lake, "SELECT count(*), count(DISTINCT url) FROM articles") == [(14, 14)]
    counts = dict(rows(postgres_lake, "SELECT source, count(*) FROM v_articles_clean GROUP BY source"))
    assert counts == EXPECTED
    done = rows(postgres_lake, "SELECT source, strftime(since, '%Y-%m') FROM crawl_windows ORDER BY ALL")
    assert done == sorted((s, m) for s in SOURCES for m in ("2026-10", "2026-11"))
    # the re-run deploys, finds every window done and schedules nothing
    assert again.returncode == 0 and "0 windows crawled" in out3 and "6 already done" in out3, out3 + err3
    assert "scheduled" not in err3
    # at most one job per source at any moment: no crawl of a source started while another was running
    overlaps = """SELECT count(*) FROM crawl_runs a JOIN crawl_runs b ON a.spider = b.spider AND a.run_id <> b.run_id
                  WHERE b.started >= a.started AND b.started < coalesce(a.finished, a.started)"""
    assert rows(postgres_lake, overlaps) == [(0,)]
    assert rows(postgres_lake, "SELECT count(DISTINCT spider), count(*) FROM crawl_runs") == [(3, 7)]
    assert rows(postgres_lake, "SELECT count(*) FROM crawl_plan_leases") == [(0,)]


@pytest.mark.slow
def test_a_node_lost_mid_job_has_its_window_crawled_on_another_node(tmp_path, postgres_lake):
    log = HeldLog(answered=2)
    with serve_sample(("bbc",), log=log) as sites, scrapyd_nodes(tmp_path) as nodes:
        first = plan(postgres_lake, nodes, sites, "-s", "NEWSALIGN_STORE_BATCH=1")
        pid, lost = november_job_fetching(nodes, log)
        for process in (pid, DAEMONS[lost].pid):  # the machine goes away: its daemon and its crawl
            os.kill(process, signal.SIGKILL)
        log.release()
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-3000:]
    assert f"node {lost}" in err and "bbc 2026-11: lost with its node without finishing its window" in err, err
    other = next(node for node in nodes if node != lost)
    assert f"bbc 2026-11: scheduled on {other}" in err.split("lost with its node")[1], err
    assert "2 windows crawled" in out and "0 failed" in out, out + err
    assert "; 2 of 2 windows done, 0 running, 0 waiting, 0 failed, 5 articles stored" in err, err  # progress
    assert rows(postgres_lake, "SELECT count(*), count(DISTINCT url) FROM articles") == [(5, 5)]
    assert rows(postgres_lake, "SELECT count(*) FROM crawl_windows") == [(2,)]


@pytest.mark.slow
def test_ctrl_c_stops_the_planner_in_one_line_and_the_same_command_resumes(tmp_path, postgres_lake):
    log = HeldLog(answered=2)
    with serve_sample(("bbc",), log=log) as sites, scrapyd_nodes(tmp_path) as nodes:
        first = plan(postgres_lake, nodes, sites)
        november_job_fetching(nodes, log)
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=60)
        log.release()  # the job the planner left running finishes on its node
        leases = rows(postgres_lake, "SELECT count(*) FROM crawl_plan_leases")
        again = plan(postgres_lake, nodes, sites)
        out2, err2 = again.communicate(timeout=300)
    assert first.returncode == 1 and err.splitlines()[-1].startswith("Error: plan stopped;"), err
    assert "Traceback" not in err and leases == [(0,)]
    assert again.returncode == 0 and "0 failed" in out2, out2 + err2
    assert rows(postgres_lake, "SELECT count(*), count(DISTINCT url) FROM articles") == [(5, 5)]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsalign", "crawl", "plan", "--since", "2026-10", "--until", "2026-11", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.slow
def test_bad_input_is_one_line_before_any_job(tmp_path):
    lake = str(tmp_path / "lake")
    closed = f"http://127.0.0.1:{free_port()}"
    for args, message in (
        (["--sources", "bbc,nope", "--nodes", closed], "unknown source(s): nope"),
        (["--nodes", closed, "--db", lake], f"node {closed} is unreachable"),
        (["--nodes", "http://192.0.2.7:6800", "--db", lake], "is a folder on this machine, which node(s)"),
        (["--nodes", "http://192.0.2.7:6800", "--db", "postgres:dbname=news"], "catalog's host is localhost"),
        (["--since", "2026-13", "--dry-run"], "--since must be a month like 2024-06"),
        (["--db", lake], "--nodes is required"),
    ):
        done = cli(*args, env={"NEWSALIGN_DATA_PATH": str(tmp_path / "data")})
        assert done.returncode != 0 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.slow
def test_dry_run_prints_one_job_per_source_and_month():
    done = cli("--sources", "bbc,guardian", "--dry-run", "--db", "/nonexistent/lake")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "bbc          2026-10-01 .. 2026-10-31",
        "bbc          2026-11-01 .. 2026-11-30",
        "guardian     2026-10-01 .. 2026-10-31",
        "guardian     2026-11-01 .. 2026-11-30",
        "4 jobs, 4 to crawl.",
    ]


@pytest.mark.slow
def test_a_node_that_refuses_the_deploy_stops_the_plan_before_any_job(tmp_path):
    broken = {"SCRAPY_SETTINGS_MODULE": "newsalign.no_such_settings"}  # a node whose newsalign is broken
    with scrapyd_node(tmp_path / "good") as good, scrapyd_node(tmp_path / "broken", env=broken) as bad:
        done = cli("--sources", "bbc", "--nodes", f"{good},{bad}", "--db", str(tmp_path / "lake"))
        with urllib.request.urlopen(f"{good}/listjobs.json", timeout=5) as answer:
            jobs = json.loads(answer.read())
    assert done.returncode != 0 and f"node {bad}: addversion.json refused" in done.stderr, done.stderr
    assert "No module named 'newsalign.no_such_settings'" in done.stderr and "Traceback" not in done.stderr
    assert jobs["pending"] == jobs["running"] == jobs["finished"] == []
    assert rows(tmp_path / "lake", "SELECT count(*) FROM crawl_plan_leases") == [(0,)]
