"""`newsalign crawl ...`: crawls beyond one `scrapy crawl` (every source at once on this machine)."""

from __future__ import annotations

import click

from newsalign.cli import db_option
from newsalign.core.errors import NewsalignError


@click.group()
def crawl() -> None:
    """Crawl several sources at once into one warehouse.

    \b
    Examples:
      newsalign crawl all
      newsalign crawl all --sources bbc,guardian --since 2024-05-01 --until 2024-05-31
    """


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            raise NewsalignError(f"{what} must be NAME=VALUE, not {value!r}")
        pairs[name] = setting
    return pairs


@crawl.command("all")
@click.option("--sources", default=None, help="Comma-separated sources (default: every spider).")
@click.option("--since", default=None, help="ISO date: backfill from this day (spider argument).")
@click.option("--until", default=None, help="ISO date: backfill to this day (spider argument).")
@click.option("--limit", default=None, help="At most this many article pages per source.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting for every spider.")
@click.option(
    "--site", "sites", multiple=True, metavar="SOURCE=URL", help="A local copy standing in for a source's hosts."
)
@db_option
def all_(sources, since, until, limit, settings, sites, db) -> None:
    """Run the spiders of every source (or --sources) at once, each within its own site's politeness
    settings, into one warehouse: a live view per source, a summary at the end. Ctrl-C stops every crawl
    cleanly; run the same command again to resume (stored pages are skipped).

    \b
    Examples:
      newsalign crawl all
      newsalign crawl all --sources bbc,guardian --limit 200 -s DOWNLOAD_DELAY=2
    """
    from scrapy.spiderloader import SpiderLoader

    from newsalign.crawl_all import crawl_sources, table
    from newsalign.demo.crawl import setting_values
    from newsalign.pipeline.chain import crawl_settings

    loader = SpiderLoader.from_settings(crawl_settings())
    known = loader.list()
    chosen = [s.strip() for s in sources.split(",")] if sources else sorted(known)
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise NewsalignError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    spider_args = {k: v for k, v in (("since", since), ("until", until), ("limit", limit)) if v is not None}
    site_map = _pairs(sites, "--site")
    for source in chosen:  # each spider's own argument check, before any request
        loader.load(source).check_arguments(**spider_args, site=site_map.get(source))
    overrides = setting_values(_pairs(settings, "-s"))
    if db:
        overrides["NEWSALIGN_DB"] = db
    rows = crawl_sources(chosen, settings=overrides, spider_args=spider_args, sites=site_map)
    from rich.console import Console

    console = Console()
    (console if console.is_terminal else Console(width=120)).print(table(rows))
    stored, skipped = sum(r.stored for r in rows), sum(r.skipped_stored for r in rows)
    click.echo(f"{stored:,} articles stored, {skipped:,} pages skipped as already stored.")
    unfinished = [r.source for r in rows if r.status != "finished"]
    if unfinished:
        click.echo(
            f"Stopped before the end: {', '.join(unfinished)}. Run the same command again to resume: pages already "
            "stored are skipped, sitemaps and feeds are read again.",
            err=True,
        )
