"""`newsalign parse`: parse one saved page with the crawler's own parser and print the Article as JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import click

from newsalign.core.errors import NewsalignError


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


@click.command()
@click.argument("source")
@click.argument("page", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--url",
    default=None,
    help="The URL the page was fetched from. Default: the page's canonical URL, else file://PAGE.",
)
@click.option("--explain", is_flag=True, help="Also print, on stderr, which rule gave each field.")
def parse(source: str, page: Path, url: str | None, explain: bool) -> None:
    """Parse a saved PAGE of SOURCE exactly as the crawler does and print the Article as JSON.

    A page that is not an article (live blog, video, index, consent or bot-check page) is reported on
    stderr with its reason, and the command exits 1. With --explain, stderr also says which rule gave
    each field (JSON-LD, og:/meta tags, the site's XPath, the trafilatura or htmldate fallback).

    \b
    Examples:
      newsalign parse guardian saved/valencia-fire.html
      newsalign parse reuters page.html --url https://www.reuters.com/world/some-story-2024-03-07/
      newsalign parse bbc page.html | jq .text
      newsalign parse bbc old-page.html --explain
    """
    from newsalign.crawler.items import PageRejected
    from newsalign.crawler.parsers import parse_page  # imported here: keeps `newsalign --help` fast

    if not page.is_file():
        raise NewsalignError(f"no such file: {page}")
    # Without --url the page's own canonical link (read by parse_page) becomes Article.url. An unknown
    # source is parse_page's NewsalignError.
    rules: dict[str, str] = {}
    result = parse_page(source, page.read_bytes(), url or page.resolve().as_uri(), rules=rules)
    if explain:
        for field, rule in rules.items():
            click.echo(f"{field} <- {rule}", err=True)
    if isinstance(result, PageRejected):
        raise NewsalignError(f"not an article ({result.reason}): {result.detail} [{result.url}]")
    record = {k: _jsonable(v) for k, v in dataclasses.asdict(result).items()}
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))
