"""What `sql` and `merge` refuse, and what a `--db` folder must hold: a query that only reads opens the lake
read-only (a reader who may not write can read); a write is committed only if the label settings it leaves
are valid; someone else's SQLite database or DuckLake is never adopted; a lake is never merged into itself."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsalign.warehouse.lake import OPEN_LAKES, extension_files
from tests.helpers import build_lake, rows
from tests.hostile import PASSWORD, assert_refused, bad_texts, invoke, run_cli


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    return build_lake(tmp_path_factory.mktemp("refusals") / "lake")


def label_value(lake: Path, name: str) -> str:
    ((value,),) = rows(lake, f"SELECT value FROM label_params WHERE name = '{name}'")
    return value


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("g5_over_g3", "abc", "label_params.g5_over_g3 must be a number > 0, not abc"),
        ("rise_months", "-3", "label_params.rise_months must be a whole number from 1 to 60, not -3"),
        ("human_labels", "maybe", "label_params.human_labels must be override or ignore, not maybe"),
    ],
)
@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_write_leaving_a_malformed_label_setting_is_rolled_back(lake, name, value, says):
    before = label_value(lake, name)
    outcome = invoke(["sql", f"UPDATE label_params SET value = '{value}' WHERE name = '{name}'", "--db", str(lake)])
    assert_refused(outcome, says=says)
    assert label_value(lake, name) == before


def test_a_valid_write_is_committed(lake):
    outcome = invoke(["sql", "UPDATE label_params SET value = '2.5' WHERE name = 'g5_over_g3'", "--db", str(lake)])
    assert outcome.exit_code == 0 and outcome.stdout.strip() == "OK", outcome.output
    assert label_value(lake, "g5_over_g3") == "2.5"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "QUERY is empty"),
        ("  ;  ", "QUERY is empty"),
        ("SELEC 1", 'syntax error at or near "SELEC"'),
        ("BEGIN; UPDATE label_params SET value = '1'; COMMIT", "leave out BEGIN, COMMIT and ROLLBACK"),
        ("SELECT * FROM no_such_table", "no_such_table"),
    ],
)
def test_a_bad_query_is_one_line(lake, query, says):
    assert_refused(invoke(["sql", query, "--db", str(lake)]), says=says)


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_select_reads_a_lake_on_a_read_only_filesystem_and_a_write_is_refused(tmp_path):
    """A read-only bind mount stands in for a user without write permission (the tests run as root, whom
    file modes do not stop). The lake is made by a process that has exited, so none holds its catalog open:
    SQLite cannot open a WAL-mode file there by itself (it needs to create the `-shm` index beside it)."""
    lake = tmp_path / "lake"
    made_by_another_process(lake)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    mount = subprocess.run(["mount", "--bind", "-o", "ro", str(lake), str(mounted)], capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here (needs root with CAP_SYS_ADMIN): {mount.stderr.strip()}")
    try:  # processes of their own: one holding the mounted lake open would keep it from being unmounted
        read = run_cli(["sql", "SELECT count(*) AS n FROM label_params", "--db", str(mounted), "--format", "csv"])
        assert read.exit_code == 0 and read.stdout.split() == ["n", "13"], read.output
        write = run_cli(["sql", "UPDATE label_params SET value = '3' WHERE name = 'g5_over_g3'", "--db", str(mounted)])
        assert_refused(write, says="readonly")
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def made_by_another_process(lake: Path, statement: str = "SELECT 1") -> None:
    """Open (creating) the lake at `lake` in a process that runs `statement` and exits, holding nothing."""
    script = f"from newsalign.warehouse import connect; connect({str(lake)!r}).execute({statement!r}).close()"
    assert subprocess.run([sys.executable, "-c", script]).returncode == 0
    assert not Path(f"{lake}/catalog.sqlite-shm").exists()


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_reader_on_a_read_only_filesystem_sees_what_was_committed_since_its_last_read(tmp_path):
    """A reader there reads a private copy of the catalog (SQLite cannot open it in place): a commit made
    since, by a writer with write access, is seen at the reader's next open in the same process."""
    lake, mounted = tmp_path / "lake", tmp_path / "mounted"
    made_by_another_process(lake)
    mounted.mkdir()
    mount = subprocess.run(["mount", "--bind", "-o", "ro", str(lake), str(mounted)], capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here (needs root with CAP_SYS_ADMIN): {mount.stderr.strip()}")
    try:
        before = label_value(mounted, "g5_over_g3")
        made_by_another_process(lake, "UPDATE label_params SET value = '7' WHERE name = 'g5_over_g3'")
        assert before != "7" and label_value(mounted, "g5_over_g3") == "7"
    finally:
        OPEN_LAKES.forget(mounted)  # its hold on `.in-use` would keep the mount busy
        subprocess.run(["umount", str(mounted)], check=True)


def test_someone_elses_sqlite_database_is_not_turned_into_a_lake(tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir()
    with sqlite3.connect(folder / "catalog.sqlite") as theirs:
        theirs.execute("CREATE TABLE users (name TEXT)")
    theirs.close()
    assert_refused(
        invoke(["sql", "CREATE TABLE x (a INT)", "--db", str(folder)]), says="not a DuckLake catalog (tables: users)"
    )
    with sqlite3.connect(folder / "catalog.sqlite") as theirs:
        tables = [name for (name,) in theirs.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    theirs.close()
    assert tables == ["users"]


def test_a_catalog_that_is_not_sqlite_is_refused(tmp_path):
    folder = tmp_path / "garbage"
    folder.mkdir()
    (folder / "catalog.sqlite").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert_refused(invoke(["sql", "SELECT 1", "--db", str(folder)]), says="is not a warehouse catalog")


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_someone_elses_ducklake_is_not_adopted(tmp_path):
    folder = tmp_path / "their-lake"
    folder.mkdir()
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    for extension in extension_files("sqlite"):
        con.execute(f"LOAD '{extension}'")
    con.execute(f"ATTACH 'ducklake:sqlite:{folder / 'catalog.sqlite'}' AS theirs (DATA_PATH '{folder / 'data'}/')")
    con.execute("CREATE TABLE theirs.orders (id INT)")
    con.close()
    for query in ("SELECT 1", "CREATE TABLE mine (a INT)"):  # read-only and read-write opens
        outcome = invoke(["sql", query, "--db", str(folder)])
        assert_refused(outcome, says="is a DuckLake but not a newsalign warehouse (tables: orders)")


def test_a_lake_is_never_merged_into_itself(lake, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(lake)
    before = rows(lake, "SELECT count(*) FROM ducklake_snapshots('lake')")
    for shard in (str(lake), str(alias), f"{lake}/"):
        assert_refused(invoke(["merge", shard, "--db", str(lake)]), says="a lake is never merged into itself")
    assert rows(lake, "SELECT count(*) FROM ducklake_snapshots('lake')") == before


@pytest.fixture(scope="module")
def bad_places(tmp_path_factory) -> list[str]:
    """--db values that name no warehouse: a file, devices, a folder of other files, someone else's
    SQLite database, a path too long for the OS, an unreachable PostgreSQL catalog with a password."""
    root = tmp_path_factory.mktemp("bad-places")
    (root / "file.txt").write_text("not a lake")
    (root / "others").mkdir()
    (root / "others" / "notes.txt").write_text("mine")
    (root / "theirs").mkdir()
    with sqlite3.connect(root / "theirs" / "catalog.sqlite") as theirs:
        theirs.execute("CREATE TABLE users (name TEXT)")
    theirs.close()
    return [
        str(root / "file.txt"),
        str(root / "missing"),
        str(root / "others"),
        str(root / "theirs"),
        "/dev/null",
        "/proc/self/nope",
        str(root / ("a" * 5000)),
        f"postgres:host=127.0.0.1 port=1 user=u password={PASSWORD} connect_timeout=2",
        f"postgres:postgresql://u:{PASSWORD}@127.0.0.1:1/x",
    ]


# Commands that read a warehouse that must already exist (a writer may create a new one at a new path).
READERS = (["sql", "SELECT 1"], ["compact"], ["export", "dataset", "--out", "{tmp}/d.json"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.one_of(bad_texts, st.integers(0, 8)), command=st.sampled_from(READERS))
def test_a_reader_given_no_warehouse_refuses_in_one_line(bad_places, tmp_path, place, command):
    db = bad_places[place] if isinstance(place, int) else place
    args = [part.format(tmp=tmp_path) for part in command]
    outcome = invoke([*args, "--db", db], env={"NEWSALIGN_DATA_PATH": str(tmp_path / "shared")})
    assert_refused(outcome)
    assert not (tmp_path / "d.json").exists()


def test_a_query_may_span_lines(lake):
    outcome = invoke(["sql", "SELECT\n\tcount(*) AS n\nFROM label_params", "--db", str(lake), "--format", "csv"])
    assert outcome.exit_code == 0 and outcome.stdout.split() == ["n", "13"], outcome.output
