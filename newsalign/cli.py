"""The `newsalign` command: a thin layer over the library. Each subcommand lives in
`newsalign/commands/<name>.py`, opens what it needs, calls one library function, and turns
`NewsalignError` into a one-line message (exit 1) instead of a traceback."""

from __future__ import annotations

import importlib
import sys

import click
import duckdb

from newsalign import __version__
from newsalign.core.errors import NewsalignError

# Modules under newsalign.commands that add subcommands to `cli`.
COMMAND_MODULES = [
    "sql",
    "parse",
    "demo",
    "export",
    "export_training",
    "train",
    "evaluate",
    "enrich",
    "enrich_llm",
    "enrich_trends",
    "merge",
    "export_dataset",
    "import_",
]

db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Warehouse file. Default: $NEWSALIGN_DB, else data/warehouse.duckdb.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsalign")
def cli() -> None:
    """newsalign: crawl news into DuckDB, label investment signals, export and train.

    \b
    Example:
      newsalign demo
      newsalign sql "SELECT source, count(*) FROM articles GROUP BY source"
    """


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"newsalign.commands.{name}")


def main(argv: list[str] | None = None) -> int:
    _load_commands()
    try:
        cli.main(args=argv, prog_name="newsalign", standalone_mode=False)
    except NewsalignError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    except duckdb.InvalidInputException as exc:
        # The label views validate label_params with error('label_params.<name> must be ...'): a user's edit.
        if "label_params." not in str(exc):
            raise
        message = str(exc).removeprefix("Invalid Input Error: ")
        click.echo(
            f'Error: {message} (fix it: newsalign sql "UPDATE label_params SET value = ... WHERE name = ...")', err=True
        )
        return 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
