"""Print query results as a table (DuckDB's own box rendering), CSV or JSON."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from datetime import date, datetime
from decimal import Decimal

import click
import duckdb


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_relation(relation: duckdb.DuckDBPyRelation, fmt: str, *, max_rows: int = 100) -> None:
    """`fmt` table: at most `max_rows` rows (0: all), first and last, fitted to the terminal's width."""
    if fmt == "table":
        relation.show(max_rows=max_rows or sys.maxsize, max_width=shutil.get_terminal_size().columns)
        return
    columns = relation.columns
    rows = relation.fetchall()
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        records = [{c: _jsonable(v) for c, v in zip(columns, row)} for row in rows]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
