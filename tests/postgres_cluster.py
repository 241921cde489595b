"""A throwaway PostgreSQL cluster on loopback, for the lake's PostgreSQL catalog.

`initdb` into a temp folder, a free port, `pg_ctl start`; `stop()` / `start()` let a test take the
catalog down mid-run. PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres`
user that Debian's package creates (scripts/setup installs it). Without a PostgreSQL server the tests
that need one skip with the reason, except under CI, where that is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.loopback import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresCluster:
    """One cluster; `new_lake` gives each test a database of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.data = root / "cluster"
        self._user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        command = [*(["runuser", "-u", self._user, "--"] if self._user else []), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> PostgresCluster:
        if self._user:
            os.chown(self.root, pwd.getpwnam(self._user).pw_uid, -1)
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "news", "-E", "UTF8", "--no-sync")
        return self.start()

    def start(self) -> PostgresCluster:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def new_lake(self, name: str) -> str:
        """Create an empty database `name` and return the `--db` value of a lake catalogued in it."""
        self._run(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "news", name)
        return f"postgres:dbname={name} host=127.0.0.1 port={self.port} user=news"

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


def postgres_cluster():
    """Start a cluster (a generator for a fixture: yields it, stops and removes it afterwards)."""
    if not _bin("initdb") or not _bin("pg_ctl"):
        reason = "needs a PostgreSQL server (Debian's postgresql; scripts/setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must test the PostgreSQL catalog")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="newsalign-pg-"))
    root.chmod(0o755)
    cluster = PostgresCluster(root).init()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # a test left it stopped
        shutil.rmtree(root, ignore_errors=True)
