"""`newsalign export dataset`: the thesis's dataset file from the labelled articles."""

from __future__ import annotations

import click

from newsalign.cli import db_option, format_option
from newsalign.warehouse import connect


@click.command("dataset")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@format_option("json", "jsonl", "parquet")
@db_option
def dataset(out, fmt, db) -> None:
    """Write every article of v_signal in the thesis's dataset format: a JSON list of objects with
    id, title, date_published, text, link, gpt_signal, topics, growth ({topic: {g3, g5, g10}}) and
    signal. jsonl writes one object a line; parquet the same columns.

    \b
    Examples:
      newsalign export dataset --out dataset.json
      newsalign export dataset --out dataset.parquet --format parquet
    """
    from newsalign.enrich.coverage import label_gap
    from newsalign.warehouse.thesis_dataset import export_dataset

    with connect(db, must_exist=True) as con:
        count = export_dataset(con, out, fmt)
        gap = label_gap(con)
    click.echo(f"{count} articles written to {out}")
    if gap:
        click.echo(gap, err=True)
