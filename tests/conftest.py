"""Fixtures the whole suite shares: a migrated lake per test (copied from one built per session), PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.helpers import build_lake, copy_lake


@pytest.fixture(scope="session")
def lake_template(tmp_path_factory) -> Path:
    """A migrated lake with its views, built once per session (per xdist worker); tests get copies."""
    return build_lake(tmp_path_factory.mktemp("template") / "lake")


@pytest.fixture
def db_path(lake_template: Path, tmp_path: Path) -> Path:
    """A fresh, migrated lake folder of this test's own (a copy of the session's template)."""
    return copy_lake(lake_template, tmp_path / "warehouse")


@pytest.fixture
def new_db_path(tmp_path: Path) -> Path:
    """Where a lake that does not exist yet goes (for tests of creating and migrating one)."""
    return tmp_path / "warehouse"


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on loopback (tests/postgres_cluster.py), shared by the session."""
    from tests.postgres_cluster import postgres_cluster

    yield from postgres_cluster()


@pytest.fixture
def postgres_lake(postgres, request, tmp_path, monkeypatch) -> str:
    """The `--db` value of a fresh lake with a PostgreSQL catalog and its data under tmp_path
    ($NEWSALIGN_DATA_PATH set for this test and the processes it starts)."""
    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / "lake-data"))
    name = "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:40]
    return postgres.new_lake(f"lake_{name}_{uuid.uuid4().hex[:8]}")
