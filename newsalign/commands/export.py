"""`newsalign export ...`: the command group; each export format adds its subcommand from its own module."""

from newsalign.cli import cli


@cli.group()
def export() -> None:
    """Export labelled data: the thesis dataset file, or training sets for TRL.

    \b
    Examples:
      newsalign export dataset --out dataset.json
      newsalign export dpo --out exports/dpo --split time
    """
