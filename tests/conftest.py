"""Shared test helpers: where the real fixtures live, and a fresh warehouse per test."""

from __future__ import annotations

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
