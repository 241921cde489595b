"""`newsalign compact`: the same rows in fewer files, old snapshots kept for --keep-days, readers undisturbed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsalign.cli import main
from newsalign.warehouse import connect, current_snapshot
from tests.helpers import copy_lake, reader_report, rows, start_reader, wait_until_reading

TABLES = ("crawl_runs", "article_rejects")


def fill(db: Path) -> int:
    """Five inserts of 150 rows (a Parquet file each) and five of 3 (inlined) into two tables; the last snapshot."""
    with connect(db) as con:
        for n in range(5):
            con.execute(
                "INSERT INTO crawl_runs (run_id, spider, started) SELECT 'r' || i, 'bbc', TIMESTAMPTZ '2026-01-01' "
                f"FROM range({n * 150}, {n * 150 + 150}) t(i)"
            )
            con.execute(
                "INSERT INTO article_rejects (url, source, stage, reason, run_id) "
                f"SELECT 'https://x.test/' || i, 'bbc', 'parse', 'empty', 'r0' FROM range({n * 3}, {n * 3 + 3}) t(i)"
            )
        return current_snapshot(con)


def snapshot_rows(db: Path) -> dict[str, list[tuple]]:
    return {table: rows(db, f"SELECT * FROM {table} ORDER BY ALL") for table in TABLES}


def files(db: Path) -> dict[str, int]:
    """Parquet files of each table in the current snapshot."""
    return {table: rows(db, f"SELECT count(*) FROM ducklake_list_files('lake', '{table}')")[0][0] for table in TABLES}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_compact_keeps_every_row_in_fewer_files_and_recent_snapshots(db_path, capsys):
    old = fill(db_path)
    before = snapshot_rows(db_path)
    assert files(db_path) == {"crawl_runs": 5, "article_rejects": 0}  # the small inserts are inlined
    assert main(["compact", "--db", str(db_path)]) == 0
    assert "5 files merged into 1, 0 snapshots expired, 0 files deleted" in capsys.readouterr().out
    assert snapshot_rows(db_path) == before
    assert files(db_path) == {"crawl_runs": 1, "article_rejects": 1}
    with connect(db_path, snapshot=old) as then:  # 30 days of snapshots kept: time travel still works
        assert then.execute("SELECT count(*) FROM crawl_runs").fetchone() == (750,)
    assert main(["compact", "--db", str(db_path)]) == 0  # nothing left to do
    assert capsys.readouterr().out.startswith("0 inlined rows flushed to Parquet, 0 files merged into 0")


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_files_replaced_days_ago_are_deleted_and_recent_ones_kept(db_path, capsys):
    fill(db_path)
    before = snapshot_rows(db_path)
    parquet = set((db_path / "data").rglob("*.parquet"))
    assert main(["compact", "--keep-days", "0", "--db", str(db_path)]) == 0
    assert rows(db_path, "SELECT count(*) FROM lake.snapshots()") == [(1,)]
    assert parquet <= set((db_path / "data").rglob("*.parquet"))  # replaced just now: a reader may need them
    # As if that compaction ran 3 days ago; in another process: a second SQLite library in this one (Python's
    # sqlite3) closing the catalog would drop the locks this process's DuckDB holds on it.
    backdate = (
        'import sqlite3, sys; catalog = sqlite3.connect(sys.argv[1]); catalog.execute("UPDATE '
        "ducklake_files_scheduled_for_deletion SET schedule_start = datetime('now', '-3 days') || '+00'\"); "
        "catalog.commit(); catalog.close()"
    )
    subprocess.run([sys.executable, "-c", backdate, str(db_path / "catalog.sqlite")], check=True)
    assert main(["compact", "--db", str(db_path)]) == 0
    assert "5 files deleted" in capsys.readouterr().out
    assert not parquet & set((db_path / "data").rglob("*.parquet"))
    assert snapshot_rows(db_path) == before


@pytest.mark.slow
def test_a_reader_during_compaction_is_never_refused(db_path, tmp_path):
    fill(db_path)
    stop = tmp_path / "stop"
    reader = start_reader(db_path, stop, "crawl_runs")
    try:
        wait_until_reading(reader, stop)  # compaction starts once the reader reads
        for _ in range(3):
            fill(db_path)
            assert main(["compact", "--db", str(db_path)]) == 0
    finally:
        stop.touch()
    report = reader_report(reader.communicate(timeout=60)[0])
    assert report["reads"] > 0 and report["refused"] == 0, report["errors"]


class ChildKiller:
    """A thread that sends SIGABRT (what a DuckDB abort raises) to each child process of this one it sees, the
    first `times` of them: a compaction step's process dying as DuckDB's once did here."""

    def __init__(self, times: int):
        self.times, self.killed, self._stop = times, [], threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set() and len(self.killed) < self.times:
            for child in multiprocessing.active_children():
                if child.pid is not None and child.pid not in self.killed:
                    os.kill(child.pid, signal.SIGABRT)
                    self.killed.append(child.pid)
            time.sleep(0.001)


@pytest.mark.slow
def test_a_step_whose_process_dies_is_run_again_and_the_report_is_whole(db_path, tmp_path, capsys):
    """The first child dies by SIGABRT; a second one runs what it had not finished: every row and file as
    after an undisturbed compaction of the same lake."""
    twin = tmp_path / "twin"
    fill(db_path)
    copy_lake(db_path, twin)
    assert main(["compact", "--db", str(twin)]) == 0
    undisturbed = capsys.readouterr().out
    with ChildKiller(times=1) as killer:
        assert main(["compact", "--db", str(db_path)]) == 0
    assert len(killer.killed) == 1
    assert capsys.readouterr().out == undisturbed
    assert snapshot_rows(db_path) == snapshot_rows(twin) and files(db_path) == files(twin)


@pytest.mark.slow
def test_a_step_that_kills_every_process_is_refused_in_one_line(db_path, capsys):
    fill(db_path)
    with ChildKiller(times=3):
        assert main(["compact", "--db", str(db_path)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("Error: DuckDB died (SIGABRT) in ducklake_") and "3 times" in error, error
    assert "\n" not in error
