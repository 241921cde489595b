"""Helpers the test modules share: where the real fixtures live, reading a lake, a quiet subprocess crawl."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsalign.jobs.in_turn import LOOPBACK_SETTINGS
from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
AG_NEWS = SHARED / "data" / "ag_news" / "test.csv"

# A process that reads `articles` in a loop from argv[1] until the file argv[2] exists, then prints one
# JSON line (`reader_report` reads it): how many reads worked, the largest count, the refusals after a
# first read worked, and three of their errors.
READER = """
import json, sys, time
from pathlib import Path
from newsalign.warehouse import connect
db, stop = sys.argv[1], Path(sys.argv[2])
counts, errors = [], []
while not stop.exists():
    try:
        with connect(db, read_only=True) as con:
            counts.append(con.execute("SELECT count(*) FROM articles").fetchone()[0])
        if len(counts) == 1:
            Path(str(stop) + ".reading").touch()  # what start_reader waits for
    except Exception as exc:  # once the lake is there (a first read worked), any refusal fails the test
        if counts:
            errors.append(repr(exc))
    time.sleep(0.05)
print(json.dumps({"reads": len(counts), "largest": max(counts, default=0), "refused": len(errors), "errors": errors[:3]}))
"""


def start_reader(db, stop: Path, table: str = "articles") -> subprocess.Popen:
    """READER in its own process, counting `table` until `stop` exists (`stop_reader`)."""
    return subprocess.Popen(
        [sys.executable, "-c", READER.replace("FROM articles", f"FROM {table}"), str(db), str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_until_reading(reader: subprocess.Popen, stop: Path) -> None:
    """Return once the reader's first read has worked: a test racing it against writers must not end first."""
    reading, deadline = Path(str(stop) + ".reading"), time.monotonic() + 120
    while not reading.exists():
        if reader.poll() is not None or time.monotonic() > deadline:
            stop.touch()
            raise AssertionError(f"the reader never read: {reader.communicate(timeout=60)[0][-2000:]}")
        time.sleep(0.05)


def stop_reader(reader: subprocess.Popen, stop: Path) -> dict:
    """Stop the reader once it has read at least once; what it reported."""
    wait_until_reading(reader, stop)
    stop.touch()
    return reader_report(reader.communicate(timeout=60)[0])


def reader_report(out: str) -> dict:
    """What READER printed: its JSON line, wherever it is among other output (DuckDB's progress bar)."""
    return json.loads(next(line for line in reversed(out.splitlines()) if line.startswith('{"reads"')))


def require_shared(path: Path) -> Path:
    """Skip (with the reason) when ../shared is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"needs the shared test data at {path} (../shared beside the checkout)")
    return path


def quiet_settings(*extra: str) -> list[str]:
    """The fast, quiet crawl settings of loopback crawls (`LOOPBACK_SETTINGS`) as `-s NAME=VALUE` arguments, then `extra`
    (more NAME=VALUE settings, later ones winning)."""
    settings = [f"{name}={value}" for name, value in LOOPBACK_SETTINGS.items()]
    return [arg for setting in (*settings, *extra) for arg in ("-s", setting)]


def scrapy_crawl(db, url: str, *extra: str) -> subprocess.Popen:
    """`scrapy crawl techcrunch` against a loopback site standing in for it, fast and quiet (`extra`:
    more NAME=VALUE settings, later ones winning)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "techcrunch", "-a", f"site={url}"]
    command += quiet_settings(
        f"NEWSALIGN_DB={db}", "NEWSALIGN_STORE_BATCH=4", "CONCURRENT_REQUESTS_PER_DOMAIN=4", *extra
    )
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def rows(db: Path, query: str) -> list[tuple]:
    """Run `query` on the warehouse through a read-only connection."""
    con = connect(db, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def build_lake(folder: Path) -> Path:
    """A new, migrated lake (with its views) at `folder`."""
    connect(folder).close()
    return folder


def copy_lake(template: Path, folder: Path) -> Path:
    """A copy of the closed lake `template` at `folder` (its catalog and data; a lake opens where it is moved)."""
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns(".in-use"))
    return folder
