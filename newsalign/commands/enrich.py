"""`newsalign enrich ...`: the command group; each enrichment is a command in its own module."""

import click

from newsalign.cli import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy_subcommands={"llm": "newsalign.commands.enrich_llm:llm", "trends": "newsalign.commands.enrich_trends:trends"},
)
def enrich() -> None:
    """Enrich stored articles: LLM topics and signals, Google Trends interest.

    \b
    Examples:
      newsalign enrich llm --dry-run
      newsalign enrich trends --max-requests 100
    """
