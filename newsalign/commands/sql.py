"""`newsalign sql`: run a query against the warehouse and print the result."""

from __future__ import annotations

import click
import duckdb

from newsalign.cli import db_option, format_option
from newsalign.core.errors import NewsalignError
from newsalign.options import COUNT, TEXT
from newsalign.output import write_relation
from newsalign.warehouse import connect, label_settings, retry


@click.command()
@click.argument("query", type=TEXT)
@db_option
@format_option("table", "csv", "json")
@click.option("--max-rows", type=COUNT, default=100, show_default=True, help="Rows shown by --format table (0: all).")
def sql(query: str, db: str | None, fmt: str, max_rows: int) -> None:
    """Run a SQL QUERY on the warehouse (tables and v_* views). A query reads the lake as it was when
    it began, while crawls keep writing; `FROM articles AT (VERSION => n)` reads snapshot n.

    \b
    Examples:
      newsalign sql "SELECT * FROM v_crawl_stats"
      newsalign sql "SELECT id, title FROM v_articles_clean LIMIT 5" --format json
    """
    with connect(db, must_exist=True) as con:
        try:
            relation = retry(lambda: con.sql(query))  # a write (UPDATE label_params ...) may race a crawl's commit
            if relation is None:  # a statement without a result (CREATE, INSERT, ...)
                click.echo("OK")
                return
            write_relation(relation, fmt, max_rows=max_rows)  # a SELECT runs here: its errors (a bad cast) too
        except duckdb.Error as exc:
            label_settings(con)  # a query over the label views fails on a bad label setting: say which, and the fix
            raise NewsalignError(f"query failed: {exc}") from None
