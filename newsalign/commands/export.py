"""`newsalign export ...`: the command group; each export format is a command in its own module."""

import click

from newsalign.cli import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy_subcommands={
        "dataset": "newsalign.commands.export_dataset:dataset",
        **{kind: f"newsalign.commands.export_training:{kind}" for kind in ("dpo", "reward", "rl", "kto", "sft")},
    },
)
def export() -> None:
    """Export labelled data: the thesis dataset file, or training sets for TRL.

    \b
    Examples:
      newsalign export dataset --out dataset.json
      newsalign export dpo --out exports/dpo --split time
    """
