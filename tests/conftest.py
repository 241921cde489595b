"""Shared test helpers: where the real fixtures live, and a fresh warehouse per test."""

from __future__ import annotations

import subprocess
import sys
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


def scrapy_crawl(db, url: str, *extra: str) -> subprocess.Popen:
    """`scrapy crawl techcrunch` against a loopback site standing in for it, fast and quiet (`extra`:
    more NAME=VALUE settings, later ones winning)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "techcrunch", "-a", f"site={url}"]
    for setting in (
        f"NEWSALIGN_DB={db}",
        "NEWSALIGN_STORE_BATCH=4",
        "DOWNLOAD_DELAY=0",
        "AUTOTHROTTLE_ENABLED=False",
        "CONCURRENT_REQUESTS_PER_DOMAIN=4",
        "TELNETCONSOLE_ENABLED=False",
        "LOG_LEVEL=WARNING",
        *extra,
    ):
        command += ["-s", setting]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


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
