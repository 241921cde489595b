"""Print query results as a table, CSV or JSON (shared by every command that shows rows)."""

from __future__ import annotations

import csv
import json
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
    columns = relation.columns
    if fmt == "table":
        shown = relation if max_rows <= 0 else relation.limit(max_rows)
        click.echo(shown.to_df().to_string(index=False, max_colwidth=60))
        return
    rows = relation.fetchall()
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        records = [{c: _jsonable(v) for c, v in zip(columns, row)} for row in rows]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
