"""The `newsalign` command: a thin layer over the library.

Each subcommand is a Click command defined in `newsalign/commands/<name>.py`; the groups below name
them and import a command's module only when that command runs (or when --help lists it), so
`newsalign --help` stays fast and `CliRunner().invoke(cli, [...])` needs no set-up. The root group
turns the project's one user-facing error, `NewsalignError`, into a one-line `Error: ...` (exit 1).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from newsalign import __version__
from newsalign import options as typed
from newsalign.core.errors import NewsalignError
from newsalign.core.files import shown
from newsalign.core.secrets import guard_logs, scrub


class LazyGroup(click.Group):
    """A group whose subcommands are `{name: "module:attribute"}`, imported on first use
    (Click's "lazily loading subcommands" recipe)."""

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_subcommands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_subcommands:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
        return getattr(importlib.import_module(module), attribute)


class UserError(click.ClickException):
    """A `NewsalignError` shown the Click way: `Error: <message>` on stderr, exit 1."""


class RootGroup(LazyGroup):
    """Every failure of a subcommand ends as one scrubbed `Error:` line (exit 1 or Click's 2), never a
    traceback: a `NewsalignError` as it is, a Click usage error with its value scrubbed, and anything else
    the code did not foresee as its type and first line (`NEWSALIGN_DEBUG=1` re-raises it, traceback and all)."""

    def invoke(self, ctx: click.Context):
        guard_logs()  # every log record a command makes (ours, DuckDB's, httpx's, Scrapy's) is scrubbed
        try:
            return super().invoke(ctx)
        except NewsalignError as exc:
            raise UserError(one_line(str(exc))) from exc
        except click.ClickException as exc:
            exc.message = one_line(exc.message)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("NEWSALIGN_DEBUG"):
                raise
            raise UserError(unforeseen(exc)) from exc


def one_line(message: str) -> str:
    """`message` scrubbed of secrets, its whitespace (DuckDB's multi-line errors) folded into one line."""
    return " ".join(scrub(message).split())


def unforeseen(exc: Exception) -> str:
    """The one line for an exception no check foresaw: what the OS or the library said, and how to see more."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {shown(exc.filename)}" if exc.filename else ""  # a 131 KB path shortened
        return one_line(f"{exc.strerror}{where}")
    return one_line(f"{type(exc).__name__}: {exc} (NEWSALIGN_DEBUG=1 shows where)")


def options(*decorators):
    """Several option decorators as one, applied in the order listed (the first shows first in --help)."""

    def apply(command):
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def _lake_location(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--db names something: not an empty string (which would quietly mean the default), not a NUL."""
    if value is not None and (not value.strip() or "\x00" in value):
        raise click.BadParameter(f"must be a warehouse folder or postgres:<connection>, got {value!r}")
    return value


db_option = click.option(
    "--db",
    "db",
    default=None,
    callback=_lake_location,
    help="Warehouse: a lake folder, or postgres:<connection> (see the README). Default: $NEWSALIGN_DB, else data/warehouse.",
)


def format_option(*choices: str):
    """`--format` (parameter `fmt`) among `choices`, the first being the default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True)


def shard_option(what: str):
    """`--shard i/N` (parsed by `newsalign.core.shards.parse_shard`); `what` says what the run does with shard i."""
    return click.option("--shard", type=typed.SHARD, default=None, help=f"i/N: {what}.")


# What a crawl command crawls, and how: --sources, -s NAME=VALUE (a Scrapy setting), --site SOURCE=URL; each
# checked as Click reads it (newsalign.options): --sources a list, -s a (name, value), --site a (source, url).
crawl_options = options(
    click.option(
        "--sources", type=typed.SOURCES, default=None, help="Comma-separated sources (default: every spider)."
    ),
    click.option(
        "-s",
        "settings",
        type=typed.SETTING,
        multiple=True,
        metavar="NAME=VALUE",
        help="Scrapy setting for every spider.",
    ),
    click.option(
        "--site",
        "sites",
        type=typed.SITE,
        multiple=True,
        metavar="SOURCE=URL",
        help="A local copy standing in for a source's hosts.",
    ),
)


@click.group(
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy_subcommands={
        "crawl": "newsalign.commands.crawl:crawl",
        "demo": "newsalign.commands.demo:demo",
        "enrich": "newsalign.commands.enrich:enrich",
        "evaluate": "newsalign.commands.evaluate:evaluate",
        "experiment": "newsalign.commands.experiment:experiment",
        "export": "newsalign.commands.export:export",
        "export-model": "newsalign.commands.export_model:export_model",
        "import": "newsalign.commands.import_:import_",
        "compact": "newsalign.commands.compact:compact_command",
        "merge": "newsalign.commands.merge:merge",
        "shell": "newsalign.commands.shell:shell",
        "parse": "newsalign.commands.parse:parse",
        "review": "newsalign.commands.review:review",
        "score": "newsalign.commands.score:score",
        "sql": "newsalign.commands.sql:sql",
        "train": "newsalign.commands.train:train",
        "watch": "newsalign.commands.watch:watch",
    },
)
@click.version_option(__version__, prog_name="newsalign")
def cli() -> None:
    """newsalign: crawl news into DuckDB, label investment signals, export and train.

    \b
    Example:
      newsalign demo
      newsalign sql "SELECT source, count(*) FROM articles GROUP BY source"
    """


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of exiting (tests call it)."""
    try:
        cli.main(args=argv, prog_name="newsalign")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
