import duckdb
import pytest

from warehouse import connect, resolve_db_path
from warehouse.db import WarehouseError, migrations


def test_path_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSALIGN_DB", raising=False)
    assert str(resolve_db_path()) == "data/warehouse.duckdb"
    monkeypatch.setenv("NEWSALIGN_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path() == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "flag.duckdb") == tmp_path / "flag.duckdb"


def test_migrations_apply_once_and_are_recorded(db_path):
    connect(db_path).close()
    con = connect(db_path)  # second open: nothing re-applied, no error
    versions = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [v for v, _ in migrations()]
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert {"articles", "article_rejects", "crawl_runs"} <= tables


def test_plain_duckdb_sees_schema(db_path):
    connect(db_path).close()
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def test_corrupt_and_missing_files_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    with pytest.raises(WarehouseError, match="corrupt or not DuckDB"):
        connect(bad)
    with pytest.raises(WarehouseError, match="no warehouse at"):
        connect(tmp_path / "missing.duckdb", must_exist=True)
    with pytest.raises(WarehouseError, match="is a directory"):
        connect(tmp_path)


def test_newer_schema_is_refused(db_path):
    con = connect(db_path)
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')")
    con.close()
    with pytest.raises(WarehouseError, match="newer than this newsalign"):
        connect(db_path)
