"""`newsalign enrich ...`: the command group; each enrichment adds its subcommand from its own module."""

from newsalign.cli import cli


@cli.group()
def enrich() -> None:
    """Enrich stored articles: LLM topics and signals, Google Trends interest.

    \b
    Examples:
      newsalign enrich llm --dry-run
      newsalign enrich trends --max-requests 100
    """
