"""Where the warehouse lives, and how a process opens it: a DuckLake (a SQL catalog plus Parquet files).

The one path setting (`--db`, `$NEWSALIGN_DB`, `-s NEWSALIGN_DB=`) names either
- a folder (the default `data/warehouse`): the catalog is `<folder>/catalog.sqlite`, the data `<folder>/data/`;
- or `postgres:<libpq connection string>` (e.g. `postgres:dbname=news host=db1`): a PostgreSQL catalog that
  many machines share, with the data under `$NEWSALIGN_DATA_PATH` (a folder every machine mounts).

A connection is an in-memory DuckDB with the lake attached as `lake` and selected (`USE lake`), so every
query names tables and views as before. The DuckLake and SQLite/PostgreSQL extensions are loaded from
the files inside their PyPI wheels (`duckdb-extension-*`): nothing is downloaded.
"""

from __future__ import annotations

import errno
import fcntl
import importlib
import os
import random
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub

DATA_PATH_VAR = "NEWSALIGN_DATA_PATH"
CATALOG_FILE = "catalog.sqlite"
POSTGRES_PREFIX = "postgres:"
ALIAS = "lake"
# Inserts of up to this many rows (an LLM call, a run row, a few rejects) are kept in the catalog
# instead of each writing a tiny Parquet file.
INLINE_ROWS = 100
_EXTENSIONS = {"sqlite": "duckdb_extension_sqlite_scanner", "postgres": "duckdb_extension_postgres_scanner"}

# DuckDB checks an extension's signature on every LOAD, into every new connection: ~60 ms for each of
# the two 35 MB files, most of what opening the lake costs. The files come from the `duckdb-extension-*`
# wheels beside duckdb's own binary (pip checked both against their hashes), so the check guards nothing
# that duckdb's unchecked binary does not already trust; skipping it makes a connection 2x cheaper.
#
# DuckDB runs a statement on as many threads as there are cores. The lake's statements are mostly small (a lookup,
# a crawl's commit: each a dozen DuckLake catalog queries over a few rows), and on two threads they cost twice the
# CPU and 1.6x the time of one (a lookup 21 vs 13 ms; `make check` 62 vs 50 s). So the lake's DuckDB runs on one
# thread, and a query over the whole lake that a user asks for runs on every core (`on_every_core`).
_CONFIG = {"allow_unsigned_extensions": "true", "threads": "1"}

T = TypeVar("T")


@dataclass(frozen=True)
class Lake:
    """A resolved location: the ATTACH string, the data path, and the local folder (None for Postgres)."""

    catalog: str
    data_path: str
    folder: Path | None

    @classmethod
    def at(cls, location: str) -> Lake:
        if location.startswith(POSTGRES_PREFIX):
            data_path = os.environ.get(DATA_PATH_VAR)
            if not data_path:
                raise ValueError(
                    f"{scrub(location)} needs ${DATA_PATH_VAR}: the folder every machine shares for its Parquet data"
                )
            return cls(f"ducklake:{location}", data_path.rstrip("/") + "/", None)
        folder = Path(location).expanduser().absolute()
        return cls(f"ducklake:sqlite:{folder / CATALOG_FILE}", f"{folder / 'data'}/", folder)

    @property
    def where(self) -> str:
        """The location for messages: the folder, or the postgres: string without its password."""
        return str(self.folder) if self.folder is not None else scrub(self.catalog.removeprefix("ducklake:"))

    @property
    def kind(self) -> str:
        return "sqlite" if self.folder is not None else "postgres"

    def exists(self) -> bool:
        """Whether a local lake's catalog exists (a Postgres catalog is assumed to: ATTACH says if not)."""
        return self.folder is None or (self.folder / CATALOG_FILE).is_file()

    def attach_sql(self, *, read_only: bool, alias: str = ALIAS, snapshot: int | None = None) -> str:
        """The ATTACH statement; `snapshot` (read-only) opens the lake as it was at that snapshot id."""
        options = [f"DATA_PATH {_quote(self.data_path)}", "OVERRIDE_DATA_PATH true"]  # a moved folder still opens
        options.append("READ_ONLY" if read_only else f"DATA_INLINING_ROW_LIMIT {INLINE_ROWS}")
        if self.folder is not None and not read_only:
            options.append("META_JOURNAL_MODE 'WAL'")  # a reading process never holds up a writer's commit
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        return f"ATTACH {_quote(self.catalog)} AS {alias} ({', '.join(options)})"


def extension_files(kind: str) -> list[Path]:
    """The DuckLake extension file and the catalog's (`sqlite` or `postgres`), from their wheels."""
    files = []
    for package in ("duckdb_extension_ducklake", _EXTENSIONS[kind]):
        folder = Path(importlib.import_module(package).__file__).parent / "extensions" / f"v{duckdb.__version__}"
        files.extend(sorted(folder.glob("*.duckdb_extension")))
    return files


def setup_sql(lake: Lake, *, read_only: bool, snapshot: int | None = None) -> list[str]:
    """What a fresh DuckDB (this process's, or the `duckdb` CLI's) runs to use the lake: load the
    extensions from their wheels, attach, and select it."""
    return [*load_sql(lake.kind), lake.attach_sql(read_only=read_only, snapshot=snapshot), f"USE {ALIAS}"]


def load_sql(kind: str) -> list[str]:
    """The LOAD statements of the DuckLake extension and the `kind` catalog's, from their wheels; for a
    SQLite catalog, its scans on one thread: DuckLake reads the catalog with many small queries, and the
    sqlite extension's parallel scans of one file have met errors of their own (duckdb-sqlite #176: wrong
    or missing results under threads; #180 added this setting to scan on one thread)."""
    loads = [f"LOAD {_quote(str(file))}" for file in extension_files(kind)]
    return [*loads, "SET sqlite_disable_multithreaded_scans = true"] if kind == "sqlite" else loads


def open_lake(lake: Lake, *, read_only: bool, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to `lake`, selected as `lake`: a cursor of this process's DuckDB for it (`OPEN_LAKES`).
    A new local lake gets its folders and a catalog in WAL mode (so a reading process never holds up a
    writer's commit)."""
    return OPEN_LAKES.cursor(lake, read_only=read_only, snapshot=snapshot)


@contextmanager
def on_every_core(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block's statements on every core (DuckDB's default), then on one thread again: for a user's
    query over the whole lake (materialising `v_signal` over 300k articles: 1.9 s on two cores, 3.0 s on one)."""
    con.execute("RESET threads")
    try:
        yield con
    finally:
        con.execute("SET threads = 1")


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the lake's newest snapshot (what a read now sees; `connect(..., snapshot=id)` reopens it)."""
    return con.execute(f"SELECT max(snapshot_id) FROM {ALIAS}.snapshots()").fetchone()[0]


@dataclass
class _Attached:
    """One in-memory DuckDB with one lake attached (and selected) as `lake`, and how to tell it is still that lake."""

    database: duckdb.DuckDBPyConnection
    catalog_file: tuple[int, int] | None  # (device, inode) of a local catalog: a lake deleted and made anew differs
    copied: tuple[int, int] | None = None  # attached from a private copy: the original's (mtime, size) then


class OpenLakes:
    """This process's lakes: one in-memory DuckDB per (lake, read-only, snapshot), with the extensions loaded
    and the lake attached once; every connection is a cursor of it (its own transactions; `USE lake`).

    A fresh DuckDB costs a load of the two extensions, an ATTACH and a first read of the catalog, ~100 ms;
    a cursor ~1 ms. The least recently used of more than `keep` are forgotten, not closed: their cursors
    still work, and the DuckDB goes when its last cursor does. A local lake's catalog file is checked on
    each use (a lake deleted and created anew at the same path gets a new DuckDB); a PostgreSQL one is
    asked a cheap question (a catalog that went away and came back gets a new DuckDB). A forked child
    starts with none of its parent's (a DuckDB must not cross a fork)."""

    def __init__(self, keep: int = 8):
        self.keep = keep
        # A forked child's copies of its parent's DuckDBs: kept, never used, never closed (a DuckDB's
        # teardown in a child joins threads that only the parent has, and crashes it).
        self._inherited: list[_Attached] = []
        self._attached: OrderedDict[tuple[str, bool, int | None], _Attached] = OrderedDict()
        self._start_in_this_process()

    def _start_in_this_process(self) -> None:
        self._inherited.extend(self._attached.values())
        self._attached = OrderedDict()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._holds: dict[Path, int] = {}  # lake folder -> an open file holding a shared lock on it (see in_use)

    def cursor(self, lake: Lake, *, read_only: bool, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
        key = (lake.catalog, read_only, snapshot)
        if os.getpid() != self._pid:
            self._start_in_this_process()
        with self._lock:
            attached = self._attached.get(key)
            if attached is not None and not self._still_valid(lake, attached):
                del self._attached[key]  # dropped, not closed: its open cursors go on
                attached = None
            if attached is None:
                attached = self._attach(lake, read_only=read_only, snapshot=snapshot)
                self._attached[key] = attached
                while len(self._attached) > self.keep:
                    self._attached.popitem(last=False)
            self._attached.move_to_end(key)
            if lake.folder is not None:
                self._hold(lake.folder)
        con = attached.database.cursor()
        con.execute(f"USE {ALIAS}")
        return con

    def forget(self, folder: Path) -> None:
        """Drop this process's hold on a local lake and its DuckDBs (before the folder is deleted)."""
        with self._lock:
            if folder in self._holds:
                os.close(self._holds.pop(folder))
            for key in [k for k in self._attached if k[0] == Lake.at(str(folder)).catalog]:
                del self._attached[key]

    def _attach(self, lake: Lake, *, read_only: bool, snapshot: int | None) -> _Attached:
        if lake.folder is not None and not read_only:
            (lake.folder / "data").mkdir(parents=True, exist_ok=True)
        copied = _copy_source(lake.folder) if lake.folder is not None and read_only else None  # before any copy
        catalog = self._readable_catalog(lake.folder) if copied is not None else None
        opened = replace(lake, catalog=f"ducklake:sqlite:{catalog}") if catalog else lake
        database = duckdb.connect(config=_CONFIG)
        try:
            *loads, attach, use = setup_sql(opened, read_only=read_only, snapshot=snapshot)
            for statement in loads:
                database.execute(statement)
            if lake.folder is not None:
                _refuse_foreign_catalog(database, catalog or lake.folder / CATALOG_FILE)
            database.execute(attach)
            database.execute(use)
        except BaseException:
            database.close()
            raise
        return _Attached(database, _file_id(lake), copied if catalog else None)

    def _readable_catalog(self, folder: Path) -> Path | None:
        """A private copy of a local catalog that SQLite could not open read-only where it is, else None.

        The catalog is in WAL mode, and SQLite opens a WAL database only where its `-shm` index exists or can
        be made: in a folder this process may not write (a read-only mount), with no process holding the
        catalog open, every open fails. Without a `-shm` no writer has it open either, so the file is whole
        and a copy is the lake as it is now; a commit or a writer arriving since makes the next open take a new
        one (`_copy_source`). Copies go when this process exits."""
        catalog = folder / CATALOG_FILE
        if os.access(folder, os.W_OK) or Path(f"{catalog}-shm").exists() or not _in_wal_mode(catalog):
            return None
        private = Path(tempfile.mkdtemp(prefix="newsalign-catalog-"))
        weakref.finalize(self, _remove_if_made_by, os.getpid(), private)
        shutil.copyfile(catalog, private / CATALOG_FILE)
        return private / CATALOG_FILE

    @staticmethod
    def _still_valid(lake: Lake, attached: _Attached) -> bool:
        if lake.folder is not None:
            same_file = _file_id(lake) == attached.catalog_file
            return same_file and (attached.copied is None or _copy_source(lake.folder) == attached.copied)
        try:
            attached.database.execute(f"SELECT 1 FROM {ALIAS}.snapshots() LIMIT 0")
        except duckdb.Error:
            return False
        return True

    def _hold(self, folder: Path) -> None:
        """Mark the folder as used by this process, until it exits (a shared lock on `.in-use`)."""
        if folder not in self._holds and folder.is_dir():
            marker = folder / ".in-use"
            try:
                fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:  # a reader that may not write the folder (nor delete it): hold what exists
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                if not marker.exists():
                    return
                fd = os.open(marker, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_SH)
            self._holds[folder] = fd


def _in_wal_mode(catalog: Path) -> bool:
    """Whether the SQLite file at `catalog` is in WAL mode (its header's read and write versions are 2)."""
    try:
        with catalog.open("rb") as file:
            header = file.read(20)
    except FileNotFoundError:
        return False
    return header.startswith(_SQLITE_HEADER) and header[18:20] == b"\x02\x02"


def _copy_source(folder: Path) -> tuple[int, int] | None:
    """The state a private copy of `folder`'s catalog stays current with: the original's (mtime, size), while
    no process holds it (no `-shm`); a copy is taken anew when this changes (a writer came, or committed)."""
    catalog = folder / CATALOG_FILE
    if Path(f"{catalog}-shm").exists():
        return None
    try:
        stat = catalog.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _remove_if_made_by(pid: int, folder: Path) -> None:
    """Remove `folder` at exit, in the process that made it only (a forked child exits without its parent's)."""
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


def _file_id(lake: Lake) -> tuple[int, int] | None:
    if lake.folder is None:
        return None
    try:
        stat = (lake.folder / CATALOG_FILE).stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


OPEN_LAKES = OpenLakes()


def in_use(folder: Path) -> bool:
    """Whether another process has this lake open (so it must not be deleted). Drops this process's own
    hold and DuckDBs of it."""
    folder = folder.expanduser().absolute()
    OPEN_LAKES.forget(folder)
    if not (folder / ".in-use").is_file():
        return False
    fd = os.open(folder / ".in-use", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextmanager
def ctrl_c_in_queries() -> Iterator[None]:
    """Raise a Ctrl-C that lands during a DuckDB query as the KeyboardInterrupt it is: DuckDB stops the query
    and raises RuntimeError("Query interrupted") in its place, which a command's Ctrl-C handling would miss
    (the Ctrl-C became "Error: RuntimeError: Query interrupted")."""
    try:
        yield
    except RuntimeError as exc:
        if not str(exc).startswith("Query interrupted"):
            raise
        raise KeyboardInterrupt from exc


def is_conflict(exc: BaseException) -> bool:
    """A statement or commit that lost a race with another writer (retrying it is the cure)."""
    message = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        "database is locked" in message
        or "conflict" in message
        or "failed to commit ducklake transaction" in message
        or ("ducklake" in message and "already exists" in message)
        or "does not have any columns" in message  # two processes creating the same table at once
        # a compaction's flush dropped an inlined-data table the statement had planned to read (duckdb/ducklake#1413):
        # run again, it reads the rows from the Parquet file the flush wrote
        or ("ducklake_inlined_data" in message and "does not exist" in message)
    )


def in_transaction(
    con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T], *, attempts: int = 30
) -> T:
    """Run `work(con)` in one transaction; when its commit conflicts with another writer's, roll back,
    wait a random moment (growing) and run it again. Any other error rolls back and is raised."""

    def once() -> T:
        con.execute("BEGIN TRANSACTION")
        try:
            result = work(con)
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # a failed COMMIT has already ended the transaction
            raise
        return result

    return retry(once, attempts=attempts)


def retry(attempt: Callable[[], T], *, attempts: int = 30) -> T:
    """Call `attempt` (a whole write: one autocommit statement, or a transaction) until it does not
    lose a commit race, waiting a random, growing moment between tries."""
    for n in range(1, attempts + 1):
        try:
            return attempt()
        except duckdb.Error as exc:
            if n == attempts or not is_conflict(exc):
                raise
        time.sleep(random.uniform(0, min(2.0, 0.01 * 2**n)))
    raise AssertionError("unreachable")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class WarehouseError(NewsalignError):
    """The warehouse is missing, not a warehouse, unreachable or from a newer version."""


_SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_foreign_catalog(database: duckdb.DuckDBPyConnection, catalog: Path) -> None:
    """A folder's `catalog.sqlite` is a DuckLake catalog (or still empty: another process is creating it),
    never someone else's SQLite database, which attaching would silently turn into a lake.

    Read with the SQLite inside DuckDB's sqlite extension, the one the lake is attached with: a second
    SQLite in this process (Python's `sqlite3`) closing the file would drop every lock this process holds
    on it (POSIX locks belong to the process, and two SQLite libraries do not know of each other's), and
    the closing one may even take itself for the last user and remove the write-ahead log: readers here
    were then shown a catalog without its tables while another process committed."""
    try:
        with catalog.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return  # a new lake: DuckLake creates it
    if header and header != _SQLITE_HEADER[: len(header)]:
        raise WarehouseError(f"{catalog} is not a warehouse catalog: not a SQLite database")
    try:
        query = f"SELECT name FROM sqlite_scan({_quote(str(catalog))}, 'sqlite_master') WHERE type = 'table'"
        tables = {name for (name,) in database.execute(query).fetchall()}
    except duckdb.Error:  # locked mid-commit, or a read-only folder without the WAL index: DuckLake's open decides
        return
    if tables and "ducklake_metadata" not in tables:
        raise WarehouseError(
            f"{catalog} is a SQLite database but not a DuckLake catalog (tables: {some_names(tables)})"
        )


def some_names(names: list[str] | set[str]) -> str:
    """At most five names, sorted, for a message."""
    ordered = sorted(names)
    return ", ".join(ordered[:5]) + (", ..." if len(ordered) > 5 else "")
