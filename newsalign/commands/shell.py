"""`newsalign shell`: the `duckdb` CLI (from the duckdb-cli package) with the warehouse attached."""

from __future__ import annotations

import os
from pathlib import Path

import click
import duckdb_cli

from newsalign.cli import db_option
from newsalign.warehouse import connect, resolve_lake
from newsalign.warehouse.lake import setup_sql

CLI = Path(duckdb_cli.__file__).parent / "duckdb"


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@db_option
@click.option("--write", is_flag=True, help="Attach the lake read-write (default: read-only, never in a writer's way).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def shell(db: str | None, write: bool, args: tuple[str, ...]) -> None:
    """Open the `duckdb` CLI on the warehouse: tables and v_* views are there, as in `newsalign sql`.
    ARGS go to the CLI (e.g. `-c QUERY`, `-csv`). Read-only unless --write; crawls may run meanwhile.

    \b
    Examples:
      newsalign shell
      newsalign shell -c "SELECT source, count(*) FROM articles GROUP BY ALL"
      newsalign shell --db /data/news --write
    """
    connect(db, must_exist=True).close()  # a clear line for a missing or old warehouse; migrates it
    commands = [arg for statement in setup_sql(resolve_lake(db), read_only=not write) for arg in ("-cmd", statement)]
    os.execv(CLI, [str(CLI), *commands, *args])
