import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from newsalign.warehouse import connect, ctrl_c_in_queries, db, resolve_db_path
from newsalign.warehouse.db import WarehouseError, migrations


@pytest.fixture
def db_path(new_db_path: Path) -> Path:
    """These tests create and migrate the lake themselves: a path with no lake yet."""
    return new_db_path


def test_path_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSALIGN_DB", raising=False)
    assert str(resolve_db_path()) == "data/warehouse"
    monkeypatch.setenv("NEWSALIGN_DB", str(tmp_path / "env"))
    assert resolve_db_path() == tmp_path / "env"
    assert resolve_db_path(tmp_path / "flag") == tmp_path / "flag"


def test_migrations_apply_once_and_are_recorded(db_path):
    connect(db_path).close()
    con = connect(db_path)  # second open: nothing re-applied, no error
    versions = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [v for v, _ in migrations()]
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert {"articles", "article_rejects", "crawl_runs"} <= tables


def test_a_reader_sees_the_schema_and_cannot_write(db_path):
    connect(db_path).close()
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("DELETE FROM articles")


def test_corrupt_and_missing_files_give_clear_errors(tmp_path):
    old = tmp_path / "old.duckdb"
    old.write_text("a DuckDB file from before the lake")
    with pytest.raises(WarehouseError, match="is a file, not a warehouse folder"):
        connect(old)
    with pytest.raises(WarehouseError, match="no warehouse at"):
        connect(tmp_path / "missing", must_exist=True)
    with pytest.raises(WarehouseError, match="no catalog.sqlite: not a warehouse"):
        connect(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "catalog.sqlite").write_text("not a catalog")
    with pytest.raises(WarehouseError, match="catalog.sqlite is not a warehouse catalog: not a SQLite database"):
        connect(tmp_path / "bad")


def test_newer_schema_is_refused(db_path):
    con = connect(db_path)
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')")
    con.close()
    with pytest.raises(WarehouseError, match="newer than this newsalign"):
        connect(db_path)


@pytest.fixture
def views_dir(tmp_path, monkeypatch):
    """A views folder of our own (`sql/staging/...`), used by `connect` instead of the shipped one."""
    root = tmp_path / "sql"
    (root / "staging").mkdir(parents=True)
    monkeypatch.setattr(db, "VIEWS_DIR", root)
    return root


@pytest.fixture
def view_creations(monkeypatch):
    """How many times `connect` (re)created the views."""
    calls = []
    real = db.recreate_views
    monkeypatch.setattr(db, "recreate_views", lambda con, files=None: (calls.append(1), real(con, files))[1])
    return calls


def test_changed_view_file_is_picked_up_on_next_open(db_path, views_dir, view_creations):
    view = views_dir / "staging" / "v_answer.sql"
    view.write_text("CREATE OR REPLACE VIEW v_answer AS SELECT 1 AS n")
    connect(db_path).close()
    view.write_text("CREATE OR REPLACE VIEW v_answer AS SELECT 2 AS n")
    connect(db_path).close()
    assert len(view_creations) == 2
    with connect(db_path, read_only=True) as plain:  # a reader sees the new definition
        assert plain.execute("SELECT n FROM v_answer").fetchone() == (2,)


def test_unchanged_views_are_not_recreated(new_db_path, view_creations):
    for _ in range(3):
        connect(new_db_path).close()
    assert len(view_creations) == 1
    con = connect(new_db_path)
    assert {f.stem for f in db.view_files()} <= {
        row[0] for row in con.execute("SELECT view_name FROM duckdb_views()").fetchall()
    }


def test_a_missing_view_is_recreated(new_db_path, view_creations):
    connect(new_db_path).close()
    with connect(new_db_path) as plain:
        plain.execute("DROP VIEW v_rejects")
    con = connect(new_db_path)
    assert len(view_creations) == 2
    assert con.execute("SELECT count(*) FROM v_rejects").fetchone() == (0,)


def test_a_new_migration_recreates_the_views(new_db_path, tmp_path, monkeypatch, view_creations):
    migrations_dir = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, migrations_dir)
    monkeypatch.setattr(db, "MIGRATIONS_DIR", migrations_dir)
    connect(new_db_path).close()
    (migrations_dir / "009_test_extra.sql").write_text("CREATE TABLE test_extra (n INTEGER);")
    connect(new_db_path).close()
    assert len(view_creations) == 2


def test_a_failing_view_names_its_file_and_is_retried(db_path, views_dir, view_creations):
    view = views_dir / "staging" / "v_bad.sql"
    view.write_text("CREATE OR REPLACE VIEW v_bad AS SELECT * FROM no_such_table")
    with pytest.raises(WarehouseError, match="view sql/staging/v_bad.sql failed"):
        connect(db_path)
    view.write_text("CREATE OR REPLACE VIEW v_bad AS SELECT 1 AS n")
    con = connect(db_path)  # the failed attempt stored no fingerprint: the views are created now
    assert con.execute("SELECT n FROM v_bad").fetchone() == (1,)


def test_a_fresh_connection_accepts_relation_queries(db_path):
    connect(db_path).close()
    for read_only in (False, True):
        con = connect(db_path, read_only=read_only)
        assert con.sql("SELECT 42 AS answer").fetchall() == [(42,)]
        con.close()


def test_sql_command_reports_a_failing_query_in_one_line(db_path, capsys):
    from newsalign.cli import main

    connect(db_path).close()
    for fmt in ("table", "csv", "json"):
        # Binds fine, fails while running: the error surfaces when the rows are fetched.
        query = "SELECT CAST(x AS INTEGER) FROM (VALUES ('a')) t(x)"
        assert main(["sql", query, "--db", str(db_path), "--format", fmt]) == 1
        err = capsys.readouterr().err
        assert err.startswith("Error: query failed: Conversion Error") and "Traceback" not in err


def test_the_lake_runs_on_one_thread_and_a_users_query_on_every_core(db_path, capsys):
    """Small statements are cheaper on one thread; `newsalign sql` (a user's query) gets DuckDB's default."""
    from newsalign.cli import main
    from newsalign.warehouse import on_every_core

    every_core = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    threads = "SELECT current_setting('threads')"
    for read_only in (False, True):
        con = connect(db_path, read_only=read_only)
        assert con.execute(threads).fetchone() == (1,)
        with on_every_core(con):
            assert con.execute(threads).fetchone() == (every_core,)
        assert con.execute(threads).fetchone() == (1,)
    capsys.readouterr()
    assert main(["sql", threads, "--db", str(db_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [str(every_core)]
    assert connect(db_path, read_only=True).execute(threads).fetchone() == (1,)  # and one thread again after


def test_unwritable_and_non_lake_folders_are_one_line(tmp_path):
    with pytest.raises(
        WarehouseError, match="cannot create the folder for /sys/newsalign-lake: Operation not permitted"
    ):
        connect(Path("/sys/newsalign-lake"))
    with pytest.raises(WarehouseError, match="no warehouse at /sys/newsalign-lake"):
        connect(Path("/sys/newsalign-lake"), read_only=True)
    plain = tmp_path / "plain"
    duckdb.connect(str(plain)).execute("CREATE TABLE t (n INTEGER)").close()
    with pytest.raises(WarehouseError, match=f"{plain} is a file, not a warehouse folder"):
        connect(plain, read_only=True)


def test_connections_of_one_process_share_one_duckdb_per_lake_and_mode(db_path):
    from newsalign.warehouse.lake import OPEN_LAKES

    first, second = connect(db_path), connect(db_path)
    first.execute("CREATE TABLE shared_probe AS SELECT 1 AS n")  # committed: autocommit
    assert second.execute("SELECT n FROM shared_probe").fetchall() == [(1,)]
    first.execute("BEGIN TRANSACTION")
    first.execute("INSERT INTO shared_probe VALUES (2)")
    assert second.execute("SELECT count(*) FROM shared_probe").fetchone() == (1,)  # own transactions
    first.execute("COMMIT")
    assert second.execute("SELECT count(*) FROM shared_probe").fetchone() == (2,)
    first.close()
    assert second.execute("SELECT count(*) FROM shared_probe").fetchone() == (2,)  # a closed cursor is its own
    assert len([key for key in OPEN_LAKES._attached if key[0].endswith(f"{db_path}/catalog.sqlite")]) == 1


def test_a_cached_reader_sees_what_another_process_commits(db_path):
    connect(db_path).close()
    reader = connect(db_path, read_only=True)
    assert reader.execute("SELECT count(*) FROM crawl_runs").fetchone() == (0,)
    writer = (
        "from newsalign.warehouse import connect; "
        f'connect({str(db_path)!r}).execute("INSERT INTO crawl_runs (run_id, spider, started, status) '
        "VALUES ('r1', 'probe', now(), 'finished')\")"
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)
    assert connect(db_path, read_only=True).execute("SELECT run_id FROM crawl_runs").fetchall() == [("r1",)]
    assert reader.execute("SELECT run_id FROM crawl_runs").fetchall() == [("r1",)]  # a new query, a new snapshot


def test_a_lake_deleted_and_made_again_at_its_path_is_opened_anew(db_path):
    connect(db_path).execute("CREATE TABLE old_probe (n INTEGER)")
    shutil.rmtree(db_path)
    con = connect(db_path)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'old_probe'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def test_a_forked_child_opens_its_own_duckdb(db_path):
    connect(db_path).execute("CREATE TABLE fork_probe AS SELECT 7 AS n")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: the parent's DuckDB must not be used across the fork
        try:
            value = connect(db_path, read_only=True).execute("SELECT n FROM fork_probe").fetchone()[0]
            os.write(write, str(value).encode())
        except BaseException as exc:  # the reason, for the assertion's message
            os.write(write, repr(exc).encode()[:4000])
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert os.read(read, 4096) == b"7"


CTRL_C_MID_QUERY = """
import os, signal, threading, time, duckdb
from newsalign.warehouse import ctrl_c_in_queries
signal.signal(signal.SIGINT, signal.default_int_handler)  # a pytest-xdist worker's children inherit it ignored
querying = threading.Event()
def ctrl_c_while_querying():
    while True:
        querying.wait()
        time.sleep(0.2)  # the query has begun: it runs for hours
        querying.clear()
        os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=ctrl_c_while_querying, daemon=True).start()
con = duckdb.connect()
for attempt in range(10):  # a Ctrl-C that came before the query began is no case: try again
    try:
        with ctrl_c_in_queries():
            querying.set()
            con.execute("SELECT count(*) FROM range(10000000000000)")
    except KeyboardInterrupt as exc:
        if exc.__cause__ is not None:
            print("KeyboardInterrupt from", repr(exc.__cause__))
            break
"""


def test_a_ctrl_c_during_a_query_is_a_keyboard_interrupt():
    """DuckDB stops a query on Ctrl-C and raises RuntimeError('Query interrupted'): commands saw an error
    where the user had pressed Ctrl-C (`crawl plan` printed it instead of 'plan stopped')."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_MID_QUERY], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "KeyboardInterrupt from RuntimeError('Query interrupted')", done.stdout + done.stderr
    with pytest.raises(RuntimeError, match="other"), ctrl_c_in_queries():
        raise RuntimeError("other")
