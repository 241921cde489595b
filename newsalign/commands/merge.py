"""`newsalign merge`: combine the shards of `enrich trends --out` (separate lakes) into the warehouse."""

from __future__ import annotations

import click

from newsalign.cli import db_option
from newsalign.warehouse import connect


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@db_option
def merge(files, db) -> None:
    """Merge Google Trends series from shard FILES (warehouse folders written by `enrich trends --out`,
    or Parquet copies of their trend_series) into the warehouse. Shards that write one shared lake
    (the same --db) need no merge. Per (topic, geo, anchor, month)
    an answer beats an error, then the newest wins, so overlapping shards and repeated merges are safe;
    a series that extends a stored one replaces it.

    \b
    Examples:
      newsalign merge trends-1 trends-2 trends-3 trends-4
      newsalign merge shards/*.parquet --db data/warehouse
    """
    from newsalign.enrich.trends.store import merge as merge_series

    with connect(db, must_exist=True) as con:  # a mistyped --db must not create an empty warehouse
        report = merge_series(con, list(files))
    click.echo(f"{report.files} files, {report.rows_read} rows read, {report.written} written to trend_series")
