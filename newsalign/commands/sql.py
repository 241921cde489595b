"""`newsalign sql`: run a query against the warehouse and print the result."""

from __future__ import annotations

import click
import duckdb

from newsalign.cli import db_option, format_option
from newsalign.core.errors import NewsalignError
from newsalign.options import COUNT
from newsalign.output import write_relation
from newsalign.warehouse import connect, in_transaction, label_settings, on_every_core

# Statements that only read: these open the lake read-only, so a user who may read it but not write it can.
_READS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


@click.command()
@click.argument("query")
@db_option
@format_option("table", "csv", "json")
@click.option("--max-rows", type=COUNT, default=100, show_default=True, help="Rows shown by --format table (0: all).")
def sql(query: str, db: str | None, fmt: str, max_rows: int) -> None:
    """Run a SQL QUERY on the warehouse (tables and v_* views). A query reads the lake as it was when
    it began, while crawls keep writing; `FROM articles AT (VERSION => n)` reads snapshot n. A query that
    only reads opens the lake read-only; one that writes (`UPDATE label_params ...`) runs in one
    transaction, committed only if the label settings it leaves are valid.

    \b
    Examples:
      newsalign sql "SELECT * FROM v_crawl_stats"
      newsalign sql "SELECT id, title FROM v_articles_clean LIMIT 5" --format json
    """
    kinds = statement_kinds(query)
    if kinds <= _READS:
        with connect(db, must_exist=True, read_only=True) as con, on_every_core(con):
            show(con, query, fmt, max_rows)
        return
    if duckdb.StatementType.TRANSACTION in kinds:
        raise NewsalignError("sql runs a write in a transaction of its own: leave out BEGIN, COMMIT and ROLLBACK")
    with connect(db, must_exist=True) as con, on_every_core(con):
        try:
            in_transaction(con, lambda c: write(c, query))  # a write may race a crawl's commit: retried
        except duckdb.Error as exc:
            raise NewsalignError(f"query failed: {exc}") from None
    click.echo("OK")


def statement_kinds(query: str) -> set[duckdb.StatementType]:
    """The kinds of the statements in `query` (DuckDB's own parser); an empty or unparsable query is refused."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise NewsalignError(f"query failed: {exc}") from None
    if not statements:
        raise NewsalignError('QUERY is empty: give a SQL statement, e.g. "SELECT count(*) FROM articles"')
    return {statement.type for statement in statements}


def show(con: duckdb.DuckDBPyConnection, query: str, fmt: str, max_rows: int) -> None:
    try:
        write_relation(con.sql(query), fmt, max_rows=max_rows)  # the SELECT runs here: its errors (a bad cast) too
    except duckdb.Error as exc:
        label_settings(con)  # a query over the label views fails on a bad label setting: say which, and the fix
        raise NewsalignError(f"query failed: {exc}") from None


def write(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Run the write, then read the label settings back: a malformed value raises, rolling the write back."""
    con.execute(query)
    label_settings(con)
