"""Many processes on one lake at once (SQLite and PostgreSQL catalogs): crawls writing while a reader
counts, and a commit conflict storm."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newsalign.demo.server import serve_sample
from tests.helpers import ROOT, rows, start_reader, stop_reader

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgres"])
def lake(request, tmp_path) -> str:
    """The `--db` value of a fresh lake: a local folder (SQLite catalog), or a PostgreSQL catalog."""
    return str(tmp_path / "lake") if request.param == "sqlite" else request.getfixturevalue("postgres_lake")


def test_two_crawls_write_one_lake_while_a_reader_counts(lake, tmp_path):
    db, stop = lake, tmp_path / "stop"
    reader = start_reader(db, stop)
    with serve_sample(("bbc", "guardian")) as sites:
        crawls = [
            subprocess.Popen(
                [sys.executable, "-m", "newsalign.jobs.in_turn", "--db", str(db), f"--site={source}={sites[source]}"],
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for source in ("bbc", "guardian")
        ]
        results = [(crawl.wait(timeout=300), crawl.stderr.read()) for crawl in crawls]
    assert all(code == 0 for code, _ in results), results[0][1][-2000:] + results[1][1][-2000:]
    report = stop_reader(reader, stop)
    assert report["refused"] == 0, report["errors"]
    assert report["reads"] > 0
    assert dict(rows(db, "SELECT source, count(*) FROM articles GROUP BY source")) == {"bbc": 5, "guardian": 4}
    assert rows(db, "SELECT count(*) - count(DISTINCT id) FROM articles") == [(0,)]
    assert sorted(rows(db, "SELECT spider, status FROM crawl_runs")) == [("bbc", "finished"), ("guardian", "finished")]


STORM = """
import sys
from datetime import datetime, timezone
from scrapy.settings import Settings
from newsalign.pipeline.writer import WarehouseWriter
db, n, shared = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
writer = WarehouseWriter(Settings({"NEWSALIGN_DB": db, "NEWSALIGN_STORE_BATCH": 1}), spider="storm", source="storm")
writer.open()
now = datetime.now(timezone.utc)
for i in range(n):  # every writer also stores the same `shared` ids: upserts racing each other
    article_id = f"shared-{i}" if i < shared else f"{writer.run_id}-{i}"
    writer.add_article((article_id, "storm", None, "t", now, "text", [], None, [], "en", now, "article", "h", 1, None))
    writer.record_failure(f"http://x.test/{i}", "storm", "timeout", "")
print(writer.finish("finished", n).stored)
"""


def test_a_commit_conflict_storm_loses_and_duplicates_nothing(lake):
    db, writers, n, shared = lake, 4, 12, 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STORM, str(db), str(n), str(shared)], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(writers)
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()[-3000:]
    assert rows(db, "SELECT count(*), count(DISTINCT id) FROM articles") == [(writers * (n - shared) + shared,) * 2]
    assert rows(db, "SELECT count(*) FROM article_rejects") == [(writers * n,)]
    assert rows(db, "SELECT count(*) FROM crawl_runs WHERE status = 'finished'") == [(writers,)]


def test_shell_runs_the_duckdb_cli_on_the_lake(lake):
    db = lake
    with serve_sample(("bbc",)) as sites:
        subprocess.run(
            [sys.executable, "-m", "newsalign.jobs.in_turn", "--db", str(db), f"--site=bbc={sites['bbc']}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsalign",
            "shell",
            "--db",
            str(db),
            "-csv",
            "-c",
            "SELECT count(*) AS n, (SELECT count(*) > 0 FROM v_crawl_stats) AS views FROM articles",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n,views", "5,true"]
    readonly = subprocess.run(
        [sys.executable, "-m", "newsalign", "shell", "--db", str(db), "-c", "DELETE FROM articles"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "read-only" in readonly.stdout + readonly.stderr
    assert rows(db, "SELECT count(*) FROM articles") == [(5,)]


def test_shell_refuses_a_missing_warehouse(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "newsalign", "shell", "--db", str(tmp_path / "none")], capture_output=True, text=True
    )
    assert done.returncode == 1 and done.stderr.startswith("Error: no warehouse at")
