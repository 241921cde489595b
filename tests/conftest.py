"""Shared test helpers: where the real fixtures live, and a fresh warehouse per test."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
AG_NEWS = SHARED / "data" / "ag_news" / "test.csv"


def require_shared(path: Path) -> Path:
    """Skip (with the reason) when ../shared is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"needs the shared test data at {path} (../shared beside the checkout)")
    return path


def rows(db: Path, query: str) -> list[tuple]:
    """Run `query` on the warehouse through a read-only connection."""
    con = connect(db, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse"


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on loopback (tests/postgres_cluster.py), shared by the session."""
    from postgres_cluster import postgres_cluster

    yield from postgres_cluster()


@pytest.fixture
def postgres_lake(postgres, request, tmp_path, monkeypatch) -> str:
    """The `--db` value of a fresh lake with a PostgreSQL catalog and its data under tmp_path
    ($NEWSALIGN_DATA_PATH set for this test and the processes it starts)."""
    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / "lake-data"))
    name = "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:40]
    return postgres.new_lake(f"lake_{name}_{uuid.uuid4().hex[:8]}")
