"""`newsalign demo` end to end: a fresh warehouse from the embedded sample, and the printed summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsalign.core.errors import NewsalignError
from newsalign.crawler.config import chromium_available
from newsalign.demo import demo_db_path
from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.xdist_group("demo")  # the tests sharing the one demo run (conftest.demo_run)


@pytest.mark.slow
def test_demo_crawls_the_sample_into_a_fresh_warehouse_and_prints_a_summary(demo_run):
    db, out = demo_run.db, demo_run.printed()  # the demo ran over an old file standing where its warehouse goes
    assert f"into {db}" in out
    for source in ("bbc", "guardian", "techcrunch", "techradar", "wccftech"):
        assert f"│ {source} " in out
    assert "parse/video 1" in out and "filter/language 1" in out and "parse/live_blog 1" in out
    assert out.count('newsalign sql "') == 3
    with connect(db, read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM v_articles_clean").fetchone()[0]
    if chromium_available():
        assert "│ reuters " in out and "parse/bot_protection 1" in out
        assert stored == 25
    else:
        assert "skipping reuters" in out
        assert stored == 22
    total = next(line for line in out.splitlines() if line.startswith("│ total "))
    assert int(total.split("│")[3]) == stored


def test_demo_refuses_to_wipe_an_existing_warehouse_named_only_by_the_environment(tmp_path, monkeypatch):
    existing = tmp_path / "warehouse"
    existing.write_bytes(b"")
    monkeypatch.setenv("NEWSALIGN_DB", str(existing))
    with pytest.raises(NewsalignError, match="pass --db PATH"):
        demo_db_path(None)
    assert demo_db_path(tmp_path / "d") == tmp_path / "d"
    monkeypatch.setenv("NEWSALIGN_DB", str(tmp_path / "new"))
    assert demo_db_path(None) == tmp_path / "new"


def test_demo_default_path(monkeypatch):
    monkeypatch.delenv("NEWSALIGN_DB", raising=False)
    assert demo_db_path(None) == Path("data/demo")


@pytest.mark.slow
def test_demo_refuses_to_delete_a_warehouse_another_process_is_writing(tmp_path):
    db = tmp_path / "busy"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time; from newsalign.warehouse import connect; c = connect({str(db)!r}); c.execute('CREATE TABLE t (x INT)'); "
            "c.execute('INSERT INTO t VALUES (1)'); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        done = subprocess.run(
            [sys.executable, "-m", "newsalign", "demo", "--db", str(db)], capture_output=True, text=True, timeout=120
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1 and "in use by another process" in done.stderr
    assert connect(db, read_only=True).execute("SELECT x FROM t").fetchall() == [(1,)]
