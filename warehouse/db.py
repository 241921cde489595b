"""Open the warehouse: resolve its path, apply pending migrations, (re)create the SQL views.

Migrations are `migrations/NNN_name.sql`, applied once each, in order, each in one transaction,
and recorded in `schema_migrations`. Views are `sql/<layer>/<view>.sql`, one `CREATE OR REPLACE VIEW`
a file, stored in the file so the plain `duckdb` CLI sees them too. A read-write open recreates them
all (in one transaction) only when needed: when the hash of every view file's path and text differs
from the one stored in `schema_views` by the last recreation, when a view is missing, or when a
migration was just applied. Otherwise opening costs one query (`_STATE`).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError

DEFAULT_DB_PATH = Path("data/warehouse.duckdb")
ENV_VAR = "NEWSALIGN_DB"
PACKAGE_DIR = Path(__file__).parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
VIEWS_DIR = PACKAGE_DIR / "sql"
VIEW_LAYERS = ("staging", "intermediate", "marts")
_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")


class WarehouseError(NewsalignError):
    """The warehouse file is missing, corrupt, locked or from a newer version."""


def resolve_db_path(path: str | os.PathLike | None = None, default: Path = DEFAULT_DB_PATH) -> Path:
    """`--db PATH`, else `$NEWSALIGN_DB`, else `default` (data/warehouse.duckdb)."""
    chosen = path or os.environ.get(ENV_VAR) or default
    return Path(chosen).expanduser()


def connect(
    path: str | os.PathLike | None = None, *, read_only: bool = False, must_exist: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse at `path`, migrated and with its views."""
    db_path = resolve_db_path(path)
    if db_path.is_dir():
        raise WarehouseError(f"{db_path} is a directory, not a DuckDB file; pass --db PATH/warehouse.duckdb")
    if (read_only or must_exist) and not db_path.exists():
        raise WarehouseError(
            f"no warehouse at {db_path}: crawl first (`scrapy crawl bbc`), run `newsalign demo`, "
            f"or point --db / {ENV_VAR} at an existing file"
        )
    if not read_only:
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create the folder for {db_path}: {exc.strerror}: {exc.filename}") from None
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise WarehouseError(f"{db_path} is in use by another process (a running crawl?): {message}") from None
        raise WarehouseError(
            f"cannot open {db_path} as a DuckDB warehouse (corrupt or not DuckDB): {message}"
        ) from None
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open {db_path} as a DuckDB warehouse: {exc}") from None
    try:
        if read_only:
            _check_current(con, db_path)
        else:
            _bring_up_to_date(con)
    except BaseException:
        con.close()
        raise
    return con


# Everything a read-write open needs to know, in one query; a catalog error means a new (or pre-view-hash) file.
_STATE = """
SELECT (SELECT list(version) FROM schema_migrations),
       (SELECT max(fingerprint) FROM schema_views),
       (SELECT list(view_name) FROM duckdb_views() WHERE NOT internal AND database_name = current_database())
"""


def _bring_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    """Apply pending migrations; recreate the views if a migration ran, a view file changed or a view is missing."""
    try:
        # fetchall, not fetchone: DuckDB 2 refuses relation queries (con.sql) while a result is half-read.
        ((done, stored_fingerprint, present),) = con.execute(_STATE).fetchall()
    except duckdb.CatalogException:
        done, stored_fingerprint, present = None, None, None
    applied = migrate(con, done=None if done is None else set(done))
    files = view_files()
    if applied or stored_fingerprint != views_fingerprint(files) or not {f.stem for f in files} <= set(present or ()):
        create_views(con, files)


def migrations() -> list[tuple[int, Path]]:
    """All shipped migrations as (version, file), in order."""
    found = []
    for file in MIGRATIONS_DIR.glob("*.sql"):
        match = _MIGRATION_NAME.match(file.name)
        if match:
            found.append((int(match.group(1)), file))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection, *, done: set[int] | None = None) -> list[int]:
    """Apply pending migrations, each in its own transaction. Returns the versions applied.

    `done`: the versions already applied, when the caller has just read them (saves a query)."""
    if done is None:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ DEFAULT now())"
        )
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    shipped = migrations()
    newest_known = max((v for v, _ in shipped), default=0)
    if done and max(done) > newest_known:
        raise WarehouseError(
            f"the warehouse has schema version {max(done)}, newer than this newsalign knows ({newest_known}); upgrade newsalign"
        )
    applied = []
    for version, file in shipped:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(file.read_text())
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, file.stem])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def view_files() -> list[Path]:
    """View definitions in dependency-friendly order: by layer, then by file name."""
    return [file for layer in VIEW_LAYERS for file in sorted((VIEWS_DIR / layer).glob("*.sql"))]


def views_fingerprint(files: list[Path] | None = None) -> str:
    """Hash of every view file's path and text: it changes when any view is added, removed or edited."""
    digest = hashlib.sha256()
    for file in view_files() if files is None else files:
        digest.update(f"{file.relative_to(VIEWS_DIR).as_posix()}\0{file.read_text()}\0".encode())
    return digest.hexdigest()


def create_views(con: duckdb.DuckDBPyConnection, files: list[Path] | None = None) -> None:
    """(Re)create every view in one transaction and record their fingerprint in `schema_views`.
    A view may use any view of an earlier layer, or one earlier in its own."""
    files = view_files() if files is None else files
    con.execute("BEGIN TRANSACTION")
    try:
        for file in files:
            try:
                con.execute(file.read_text())
            except duckdb.Error as exc:
                raise WarehouseError(f"view {file.relative_to(VIEWS_DIR.parent).as_posix()} failed: {exc}") from exc
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_views (fingerprint VARCHAR NOT NULL, created_at TIMESTAMPTZ DEFAULT now())"
        )
        con.execute("DELETE FROM schema_views")
        con.execute("INSERT INTO schema_views (fingerprint) VALUES (?)", [views_fingerprint(files)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _check_current(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    newest_known = max((v for v, _ in migrations()), default=0)
    try:
        ((current,),) = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    except duckdb.CatalogException:
        current = 0
    if current < newest_known:
        raise WarehouseError(
            f"{db_path} has schema version {current}, this newsalign expects {newest_known}: "
            "open it once read-write (any newsalign command without --read-only) to migrate"
        )
