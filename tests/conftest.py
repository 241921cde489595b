"""Fixtures the whole suite shares: a migrated lake per test (copied from one built per session), PostgreSQL,
one run of `newsalign demo --train`."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import xdist

from tests.helpers import build_lake, copy_lake


def pytest_configure(config: pytest.Config) -> None:
    """Refuse `--dist loadgroup` where it would not group: pytest 9.2 keeps node ids that pytest-xdist 3.8
    can no longer tag, so `xdist_group` stops working, silently (pytest-xdist#1386): every shared lake, model
    and demo run was then built once per worker, and tests meant to run one after another raced."""
    if config.getoption("dist", default="no") == "loadgroup" and pytest.version_tuple >= (9, 2):
        if tuple(int(part) for part in xdist.__version__.split(".")[:2]) <= (3, 8):
            raise pytest.UsageError(
                f"pytest {pytest.__version__} with pytest-xdist {xdist.__version__} ignores xdist_group "
                "(pytest-xdist#1386): reinstall the test tools (scripts/setup) to get the pinned pytest"
            )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything alive once the test modules are imported (torch, transformers, Scrapy, DuckDB: ~300k objects)
    lives to the end: move it out of the garbage collector's way. A full collection (automatic, or asked for:
    accelerate's `free_memory` runs one as every Trainer trains) then scans only what the tests made since."""
    gc.collect()
    gc.freeze()


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


UNSET_FOR_THE_DEMO = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "NEWSALIGN_LLM_MODEL", "NEWSALIGN_DB")


@dataclass(frozen=True)
class DemoRun:
    """What one `newsalign demo --db <folder>/demo --train` printed and left in `folder`."""

    folder: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def db(self) -> Path:
        return self.folder / "demo"

    def printed(self) -> str:
        """Its standard output, once it is known to have succeeded (else the test fails with stderr's tail)."""
        assert self.returncode == 0, self.stderr[-3000:]
        return self.stdout


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """`newsalign demo --train` run once, as a user runs it (a process; no key, endpoint or $NEWSALIGN_DB, so
    any LLM call would stop it; an old file where its warehouse goes). The demo tests share it and only read
    it (a test that writes copies the warehouse); they run in one xdist group, "demo", so it runs once."""
    folder = tmp_path_factory.mktemp("demo-run")
    (folder / "demo").write_text("an old file the demo replaces")
    env = {name: value for name, value in os.environ.items() if name not in UNSET_FOR_THE_DEMO}
    done = subprocess.run(
        [sys.executable, "-m", "newsalign", "demo", "--db", str(folder / "demo"), "--train"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return DemoRun(folder, done.returncode, done.stdout, done.stderr)
