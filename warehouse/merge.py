"""Merge separate lakes into one warehouse: each table's rows whose key the warehouse lacks, one
transaction per table (retried on a commit conflict), so a second merge writes nothing. Lakes that
shared one warehouse from the start need no merge. Google Trends series keep their own rule (an
answer beats an error, then the newest): `newsalign.enrich.trends.store.merge`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.warehouse.lake import Lake, in_transaction, load_sql

# Table -> the columns that identify a row (DuckLake keeps no keys: see the migrations' comments).
# A rejection has no key of its own: the whole row is it.
KEYS = {
    "crawl_runs": ("run_id",),
    "articles": ("id",),
    "article_fingerprints": ("id",),
    "article_rejects": ("url", "source", "stage", "reason", "detail", "at", "run_id"),
    "llm_batches": ("batch_id",),
    "llm_batch_requests": ("batch_id", "cache_key"),
    "llm_calls": ("cache_key", "call_id"),
}
# An answer already stored for a cache key is never stored twice (nor asked again).
_EXTRA = {
    "llm_calls": "NOT (i.status = 'ok' AND EXISTS (SELECT 1 FROM llm_calls s WHERE s.cache_key = i.cache_key"
    " AND s.status = 'ok'))"
}
_FIRST = {"llm_calls": "PARTITION BY cache_key, CASE WHEN status = 'ok' THEN 0 ELSE call_id END ORDER BY call_id"}


@dataclass(frozen=True)
class TableMerge:
    table: str
    rows_read: int
    written: int


@dataclass(frozen=True)
class LakeMerge:
    tables: list[TableMerge]
    run_ids: list[str]  # the merged lakes' runs (whose articles the caller settles against the rest)


@contextmanager
def attached(con: duckdb.DuckDBPyConnection, locations: list[str]) -> Iterator[list[str]]:
    """Attach the lakes at `locations` read-only to `con` (as shard0, shard1, ...), once for every
    table a merge reads; detach them on the way out, whatever happened."""
    aliases: list[str] = []
    try:
        for n, location in enumerate(locations):
            aliases.append(_attach(con, location, f"shard{n}"))
        yield aliases
    finally:
        for alias in aliases:
            con.execute(f"DETACH {alias}")


def merge_lakes(con: duckdb.DuckDBPyConnection, aliases: list[str]) -> LakeMerge:
    """Copy into `con`'s lake every row of the `attached` lakes `aliases` whose key it lacks, table by table."""
    tables = [_merge_table(con, table, key, aliases) for table, key in KEYS.items()]
    runs = " UNION ".join(f"SELECT run_id FROM {alias}.crawl_runs" for alias in aliases)
    return LakeMerge(tables, sorted(r for (r,) in con.execute(runs).fetchall()))


def _attach(con: duckdb.DuckDBPyConnection, location: str, alias: str) -> str:
    try:
        lake = Lake.at(location)
    except ValueError as exc:
        raise NewsalignError(str(exc)) from None
    if not lake.exists():
        raise NewsalignError(
            f"{lake.where}: no such shard to merge (a warehouse folder, postgres:..., or a Parquet copy of trend_series)"
        )
    try:
        for statement in [*load_sql(lake.kind), lake.attach_sql(read_only=True, alias=alias)]:
            con.execute(statement)
    except duckdb.Error as exc:
        raise NewsalignError(f"{lake.where}: not a warehouse to merge ({' '.join(str(exc).split())})") from None
    return alias


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[str]:
    return [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ? ORDER BY column_index",
            [database, table],
        ).fetchall()
    ]


def _merge_table(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...], aliases: list[str]) -> TableMerge:
    target = _columns(con, con.execute("SELECT current_database()").fetchone()[0], table)
    sources = [(alias, set(_columns(con, alias, table))) for alias in aliases]
    selects = [
        "SELECT " + ", ".join(f'"{c}"' if c in present else f'NULL AS "{c}"' for c in target) + f" FROM {alias}.{table}"
        for alias, present in sources
        if present
    ]
    if not selects or not target:
        return TableMerge(table, 0, 0)
    first = _FIRST.get(table, "PARTITION BY " + ", ".join(f'"{c}"' for c in key))
    on_key = " AND ".join(f's."{c}" IS NOT DISTINCT FROM i."{c}"' for c in key)
    extra = f" AND {_EXTRA[table]}" if table in _EXTRA else ""
    columns = ", ".join(f'"{c}"' for c in target)

    def copy(c: duckdb.DuckDBPyConnection) -> TableMerge:
        c.execute(f"CREATE OR REPLACE TEMP TABLE merge_incoming AS SELECT * FROM ({' UNION ALL '.join(selects)})")
        (read,) = c.execute("SELECT count(*) FROM merge_incoming").fetchone()
        c.execute(
            f"CREATE OR REPLACE TEMP TABLE merge_new AS SELECT * FROM merge_incoming i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE {on_key}){extra} "
            f"QUALIFY row_number() OVER ({first}) = 1"
        )
        (written,) = c.execute("SELECT count(*) FROM merge_new").fetchone()
        c.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM merge_new")
        c.execute("DROP TABLE merge_incoming")
        c.execute("DROP TABLE merge_new")
        return TableMerge(table, read, written)

    return in_transaction(con, copy)


def refuse_itself(target: Lake, locations: list[str]) -> None:
    """A lake is never merged into itself (the same folder under any name, or the same postgres: string)."""
    for location in locations:
        try:
            shard = Lake.at(location)
        except ValueError:
            continue  # `attached` says what is wrong with it
        same_folder = (
            shard.folder is not None
            and target.folder is not None
            and shard.folder.exists()
            and target.folder.exists()
            and shard.folder.samefile(target.folder)
        )
        if same_folder or shard.catalog == target.catalog:
            raise NewsalignError(f"{shard.where} is the warehouse itself (--db): a lake is never merged into itself")


def split_locations(files: list[str | Path]) -> tuple[list[str], list[Path]]:
    """The arguments of `newsalign merge`: (lakes, Parquet copies of trend_series)."""
    lakes, parquets = [], []
    for f in files:
        if str(f).endswith(".parquet") and Path(f).is_file():
            parquets.append(Path(f))
        else:
            lakes.append(str(f))
    return lakes, parquets
