"""`newsalign compact`: lake maintenance (inlined rows to Parquet, small files merged, old snapshots expired)."""

from __future__ import annotations

import click

from newsalign.cli import db_option
from newsalign.options import COUNT
from newsalign.warehouse import connect
from newsalign.warehouse.compact import KEEP_DAYS, compact


@click.command("compact")
@click.option(
    "--keep-days",
    type=COUNT,
    default=KEEP_DAYS,
    show_default=True,
    help="Keep the snapshots of the last N days (time travel, an export's snapshot); older ones expire.",
)
@db_option
def compact_command(keep_days, db) -> None:
    """Compact the warehouse: write the rows small inserts kept in the catalog to Parquet, merge small
    Parquet files, expire snapshots older than --keep-days and delete the files replaced more than two
    days ago (a long query may still read them). Safe while crawls write and readers read.

    \b
    Examples:
      newsalign compact
      newsalign compact --keep-days 7 --db postgres:dbname=news host=db1
    """
    connect(db, must_exist=True).close()  # a lake that is missing, not a lake or not writable: one line, here
    report = compact(db, keep_days=keep_days)
    click.echo(report.line())
