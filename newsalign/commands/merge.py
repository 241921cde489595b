"""`newsalign merge`: combine separate lakes (or Parquet trend shards) into the warehouse."""

from __future__ import annotations

import click

from newsalign.cli import db_option
from newsalign.warehouse import connect


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@db_option
def merge(files, db) -> None:
    """Merge separate lakes FILES (warehouse folders, or postgres:... locations, e.g. written by
    crawls or `enrich trends --out` on machines that did not share one warehouse) into the warehouse;
    Parquet copies of trend_series are merged too. Shards that wrote one shared lake need no merge.

    Articles, their fingerprints, rejects, crawl runs and LLM calls and batches are copied where their
    key is new (an article id already stored is kept; an LLM answer already stored for a cache key is
    not copied, so none is asked again); then the merged runs' articles are settled against the rest
    (near-duplicates marked superseded, as a finishing crawl does). Trend series: per (topic, geo,
    anchor, month) an answer beats an error, then the newest wins. Each table is one transaction;
    merging again writes nothing.

    \b
    Examples:
      newsalign merge lake-machine1 lake-machine2 --db data/warehouse
      newsalign merge trends-1 trends-2 trends-3 trends-4
      newsalign merge shards/*.parquet --db data/warehouse
    """
    from newsalign.core.minhash import THRESHOLD
    from newsalign.enrich.trends.store import merge_attached
    from newsalign.pipeline.dedup import settle
    from newsalign.warehouse import resolve_lake
    from newsalign.warehouse.merge import attached, merge_lakes, refuse_itself, split_locations

    lakes, parquets = split_locations(list(files))
    refuse_itself(resolve_lake(db), lakes)
    with connect(db, must_exist=True) as con, attached(con, lakes) as aliases:  # a mistyped --db: no new warehouse
        merged = merge_lakes(con, aliases) if aliases else None
        series = merge_attached(con, dict(zip(aliases, lakes)), parquets)
        settled = sum(settle(con, run_id, THRESHOLD, merged=True) for run_id in merged.run_ids) if merged else 0
    for table in merged.tables if merged else []:
        click.echo(f"{table.table}: {table.rows_read} rows read, {table.written} written")
    click.echo(f"trend_series: {series.rows_read} rows read, {series.written} written ({series.files} files)")
    if settled:
        click.echo(f"{settled} merged articles superseded by near-duplicates already stored")
