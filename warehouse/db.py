"""Open the warehouse: resolve where it is, attach it, apply pending migrations, (re)create the SQL views.

The warehouse is a DuckLake (see `lake.py`): many processes may read and write it at once, each
write a short transaction that is retried when it loses a commit race (`in_transaction`).
Migrations are `migrations/NNN_name.sql`, applied once each, in order, and recorded in
`schema_migrations`. Views are `sql/<layer>/<view>.sql`, one `CREATE OR REPLACE VIEW` a file, stored in
the lake's catalog so the `duckdb` CLI (`newsalign shell`) sees them too. A read-write open applies the
pending migrations and recreates the views, together in one transaction, only when needed: a migration
is pending, the hash of every view file's path and text differs from the one stored in `schema_views`
by the last recreation, or a view is missing. Otherwise opening costs one query (`_STATE`) on a cursor
of this process's DuckDB for the lake (`lake.OpenLakes`).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import duckdb

from newsalign.core.secrets import scrub
from newsalign.warehouse.lake import (
    CATALOG_FILE,
    DATA_PATH_VAR,
    POSTGRES_PREFIX,
    Lake,
    WarehouseError,
    in_transaction,
    open_lake,
    retry,
    some_names,
)

DEFAULT_DB_PATH = Path("data/warehouse")
ENV_VAR = "NEWSALIGN_DB"
PACKAGE_DIR = Path(__file__).parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
VIEWS_DIR = PACKAGE_DIR / "sql"
VIEW_LAYERS = ("staging", "intermediate", "marts")
_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")


def resolve_db_path(path: str | os.PathLike | None = None, default: Path = DEFAULT_DB_PATH) -> Path | str:
    """`--db PATH`, else `$NEWSALIGN_DB`, else `default` (data/warehouse): a lake folder, or `postgres:...`
    as given (a connection string, not a path: a URI's `//` must survive)."""
    chosen = path or os.environ.get(ENV_VAR) or default
    if str(chosen).startswith(POSTGRES_PREFIX):
        return str(chosen)
    return Path(chosen).expanduser()


def resolve_lake(path: str | os.PathLike | None = None) -> Lake:
    """The lake the path setting names (see `lake.py`)."""
    try:
        return Lake.at(str(resolve_db_path(path)))
    except ValueError as exc:
        raise WarehouseError(str(exc)) from None


def connect(
    path: str | os.PathLike | None = None,
    *,
    read_only: bool = False,
    must_exist: bool = False,
    snapshot: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse at `path`, migrated and with its views. A read-only
    connection reads the lake as it was when each query (or transaction) began and never blocks a writer;
    `snapshot` (read-only) opens it as it was at that snapshot id (DuckLake time travel)."""
    read_only = read_only or snapshot is not None
    lake = resolve_lake(path)
    where = lake.where
    if lake.folder is not None:
        _check_folder(lake, read_only=read_only or must_exist)
        if not read_only:
            _check_writable(lake)
    elif not read_only:
        _check_data_path(lake)
    try:
        con = retry(lambda: open_lake(lake, read_only=read_only, snapshot=snapshot))  # creators race
    except duckdb.Error as exc:
        if snapshot is not None and "snapshot" in str(exc).lower():
            raise WarehouseError(f"{where} has no snapshot {snapshot}: {_line(exc)}") from None
        unreachable = _UNREACHABLE.search(" ".join(str(exc).split()))  # before scrubbing, which may eat a quote
        if unreachable:
            raise WarehouseError(f"cannot reach the PostgreSQL catalog {where}: {scrub(unreachable[1])}") from None
        raise WarehouseError(
            f"cannot open {where} as a warehouse (not a DuckLake, or unreachable): {_line(exc)}"
        ) from None
    except OSError as exc:
        raise WarehouseError(f"cannot create the warehouse at {where}: {exc.strerror}: {exc.filename}") from None
    try:
        if read_only:
            _check_current(con, where)
        else:
            _bring_up_to_date(con, where)
    except BaseException:
        con.close()
        raise
    return con


def _check_folder(lake: Lake, *, read_only: bool) -> None:
    folder = lake.folder
    if folder.is_file():
        raise WarehouseError(
            f"{folder} is a file, not a warehouse folder: the warehouse is a DuckLake folder now "
            "(a DuckDB file from an older newsalign: see 'Carrying an old warehouse over' in the README)"
        )
    if lake.exists():
        return  # its catalog is checked as it is attached (OpenLakes)
    if read_only:
        raise WarehouseError(
            f"no warehouse at {folder}: crawl first (`scrapy crawl bbc`), run `newsalign demo`, "
            f"or point --db / {ENV_VAR} at an existing warehouse folder"
        )
    if folder.is_dir() and any(not _lake_file(entry.name) for entry in folder.iterdir()):
        raise WarehouseError(f"{folder} is a folder with other files and no {CATALOG_FILE}: not a warehouse")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(f"cannot create the folder for {folder}: {exc.strerror}: {exc.filename}") from None


def _check_writable(lake: Lake) -> None:
    """A writer may write an existing local lake's folder (SQLite's own error names the WAL pragma instead)."""
    if lake.exists() and not os.access(lake.folder, os.W_OK):
        raise WarehouseError(
            f"cannot write the warehouse at {lake.folder}: it is readonly here (a read-only filesystem, or no "
            "write permission); queries that only read still run"
        )


def _check_data_path(lake: Lake) -> None:
    """A writer's shared data folder ($NEWSALIGN_DATA_PATH) exists, or is created, and is writable."""
    data = Path(lake.data_path)
    try:
        data.mkdir(parents=True, exist_ok=True)
        if not os.access(data, os.W_OK):
            raise PermissionError(13, "Permission denied", str(data))
    except OSError as exc:
        raise WarehouseError(
            f"cannot write the data of {lake.where} to ${DATA_PATH_VAR}={data}: {exc.strerror}"
        ) from None


def _lake_file(name: str) -> bool:
    """What a lake folder holds (another process may be creating it right now)."""
    return name in ("data", ".in-use") or name.startswith(CATALOG_FILE)


def _line(exc: BaseException) -> str:
    """An error as one line, without any password it quotes."""
    return scrub(" ".join(str(exc).split()))


_UNREACHABLE = re.compile(r'Unable to connect to Postgres at "[^"]*": (.*)')


# Everything a read-write open needs to know, in one query; a catalog error means a new lake.
_STATE = """
SELECT (SELECT list(version) FROM schema_migrations),
       (SELECT max(fingerprint) FROM schema_views),
       (SELECT list(view_name) FROM duckdb_views() WHERE NOT internal AND database_name = current_database())
"""


def _bring_up_to_date(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Apply pending migrations and recreate the views if a migration ran, a view file changed or a view
    is missing: all in one transaction (each DuckLake commit costs catalog round trips, so a new lake's
    migrations and views in one commit open it ~10x sooner than one commit each)."""
    try:
        ((done, stored_fingerprint, present),) = con.execute(_STATE).fetchall()
    except duckdb.CatalogException:
        done, stored_fingerprint, present = None, None, None
        _refuse_foreign(con, where)
    files = view_files()
    views_stale = stored_fingerprint != views_fingerprint(files) or not {f.stem for f in files} <= set(present or ())
    if done is not None:
        _refuse_newer(set(done))
        if not views_stale and not _pending(set(done)):
            return

    def upgrade(c: duckdb.DuckDBPyConnection) -> None:
        if apply_migrations(c) or views_stale:
            recreate_views(c, files)

    in_transaction(con, upgrade)


def _refuse_foreign(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """A lake without `schema_migrations` is new, unless it holds tables: then it is someone else's DuckLake."""
    query = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    tables = [name for (name,) in con.execute(query).fetchall()]
    if tables:
        raise WarehouseError(f"{where} is a DuckLake but not a newsalign warehouse (tables: {some_names(tables)})")


def migrations() -> list[tuple[int, Path]]:
    """All shipped migrations as (version, file), in order."""
    found = []
    for file in MIGRATIONS_DIR.glob("*.sql"):
        match = _MIGRATION_NAME.match(file.name)
        if match:
            found.append((int(match.group(1)), file))
    return sorted(found)


def apply_migrations(c: duckdb.DuckDBPyConnection) -> list[int]:
    """Inside the caller's transaction: apply the migrations not recorded in `schema_migrations`, in order,
    and record them. Two processes opening a new lake at once: the one that loses the commit race retries
    its transaction, re-reads what is applied and finds the other's work done."""
    c.execute(_MIGRATIONS_TABLE)
    done = _applied(c)
    _refuse_newer(done)
    pending = _pending(done)
    for version, file in pending:
        c.execute(file.read_text())
        c.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, file.stem])
    return [version for version, _ in pending]


def _pending(done: set[int]) -> list[tuple[int, Path]]:
    return [(version, file) for version, file in migrations() if version not in done]


def _refuse_newer(done: set[int]) -> None:
    newest_known = max((v for v, _ in migrations()), default=0)
    if done and max(done) > newest_known:
        raise WarehouseError(
            f"the warehouse has schema version {max(done)}, newer than this newsalign knows ({newest_known}); upgrade newsalign"
        )


# The key is `version` (DuckLake has no constraints: `apply_migrations` never inserts one twice).
_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ DEFAULT now())"
)


def _applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {version for (version,) in con.execute("SELECT version FROM schema_migrations").fetchall()}


def view_files() -> list[Path]:
    """View definitions in dependency-friendly order: by layer, then by file name."""
    return [file for layer in VIEW_LAYERS for file in sorted((VIEWS_DIR / layer).glob("*.sql"))]


def views_fingerprint(files: list[Path] | None = None) -> str:
    """Hash of every view file's path and text: it changes when any view is added, removed or edited."""
    digest = hashlib.sha256()
    for file in view_files() if files is None else files:
        digest.update(f"{file.relative_to(VIEWS_DIR).as_posix()}\0{file.read_text()}\0".encode())
    return digest.hexdigest()


def recreate_views(c: duckdb.DuckDBPyConnection, files: list[Path] | None = None) -> None:
    """Inside the caller's transaction: (re)create every view and record their fingerprint. A view may use
    any view of an earlier layer, or one earlier in its own."""
    files = view_files() if files is None else files
    for file in files:
        try:
            c.execute(file.read_text())
        except duckdb.Error as exc:
            raise WarehouseError(f"view {file.relative_to(VIEWS_DIR.parent).as_posix()} failed: {exc}") from exc
    c.execute(
        "CREATE TABLE IF NOT EXISTS schema_views (fingerprint VARCHAR NOT NULL, created_at TIMESTAMPTZ DEFAULT now())"
    )
    c.execute("DELETE FROM schema_views")
    c.execute("INSERT INTO schema_views (fingerprint) VALUES (?)", [views_fingerprint(files)])


_HAS_MIGRATIONS = (
    "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'schema_migrations'"
)


def _has_migrations(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the lake has `schema_migrations`. A reader that opens it while `compact` commits can be shown,
    for a moment, a catalog without its tables (seen twice in ~15 full test runs, never in isolation; a DuckLake
    race we could not pin down): a lake that shows none is asked again for up to 1.5 s before it counts as
    having none (a new or foreign lake pays that once, on its way to an error)."""
    for pause in (0.05, 0.1, 0.2, 0.4, 0.8, 0):
        ((found,),) = retry(lambda: con.execute(_HAS_MIGRATIONS).fetchall())
        if found:
            return True
        time.sleep(pause)
    return False


def _check_current(con: duckdb.DuckDBPyConnection, db_path) -> None:
    """A reader's lake is migrated. Only a lake without `schema_migrations` counts as version 0: any other
    catalog error (one met while `compact` rewrites the catalog) is retried, then raised as it is."""
    newest_known = max((v for v, _ in migrations()), default=0)
    has_migrations = _has_migrations(con)
    if not has_migrations:
        _refuse_foreign(con, db_path)
    query = "SELECT coalesce(max(version), 0) FROM schema_migrations"
    ((current,),) = retry(lambda: con.execute(query).fetchall()) if has_migrations else ((0,),)
    if current < newest_known:
        raise WarehouseError(
            f"{db_path} has schema version {current}, this newsalign expects {newest_known}: "
            "open it once read-write (any newsalign command without --read-only) to migrate"
        )
