"""`newsalign crawl ...`: crawls beyond one `scrapy crawl` (every source at once on this machine)."""

from __future__ import annotations

import json
from datetime import date

import click

from newsalign.cli import crawl_options, db_option
from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.options import (
    EARLIEST_NEWS,
    HTTP_URL,
    NON_NEGATIVE_SECONDS,
    POSITIVE_INT,
    POSITIVE_SECONDS,
    SETTING,
    SOURCES,
    HttpUrls,
    Period,
)

CC_NEWS_START = date(2016, 8, 1)  # Common Crawl's CC-NEWS archive begins in August 2016


@click.group()
def crawl() -> None:
    """Crawl several sources at once into one warehouse.

    \b
    Examples:
      newsalign crawl all
      newsalign crawl all --sources bbc,guardian --since 2024-05-01 --until 2024-05-31
      newsalign crawl plan --since 2023-01 --until 2024-06 --nodes http://n1:6800,http://n2:6800
    """


@crawl.command("all")
@crawl_options
@click.option(
    "--since", type=Period(EARLIEST_NEWS, months=False), default=None, help="ISO date: backfill from this day."
)
@click.option("--until", type=Period(EARLIEST_NEWS, months=False), default=None, help="ISO date: backfill to this day.")
@click.option("--limit", type=POSITIVE_INT, default=None, help="At most this many article pages per source.")
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
    from newsalign.jobs.crawl_all import crawl_sources, table

    days = {"since": since and since[0].isoformat(), "until": until and until[0].isoformat()}
    spider_args = {k: v for k, v in (*days.items(), ("limit", limit)) if v is not None}
    site_map = dict(sites)
    chosen = _checked_sources(sources, site_map, spider_args)
    overrides = dict(settings)
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


def _checked_sources(sources: list[str] | None, site_map: dict[str, str], spider_args: dict) -> list[str]:
    """The chosen spiders (default: all; `--sources` names known ones), each one's arguments checked."""
    from scrapy.spiderloader import SpiderLoader

    from newsalign.crawler.config import crawl_settings

    loader = SpiderLoader.from_settings(crawl_settings())
    known = loader.list()
    chosen = sources or sorted(known)
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise NewsalignError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for source in chosen:  # each spider's own argument check, before any request
        loader.load(source).check_arguments(**spider_args, site=site_map.get(source))
    return chosen


@crawl.command("plan")
@click.option(
    "--since", type=Period(EARLIEST_NEWS), required=True, help="First month (2023-01) or day of the backfill."
)
@click.option("--until", type=Period(EARLIEST_NEWS), required=True, help="Last month (2024-06) or day of the backfill.")
@click.option(
    "--nodes", type=HttpUrls(), default=None, help="Comma-separated Scrapyd URLs (http://n1:6800,http://n2:6800)."
)
@click.option("--dry-run", is_flag=True, help="Print the jobs (and which are done already); contact no node.")
@click.option(
    "--attempts", type=POSITIVE_INT, default=3, show_default=True, help="Tries per window before it counts as failed."
)
@click.option(
    "--poll",
    type=POSITIVE_SECONDS,
    default=2.0,
    show_default=True,
    help="Seconds between two looks at the nodes' jobs.",
)
@crawl_options
@db_option
def plan(since, until, sources, nodes, dry_run, attempts, poll, settings, sites, db) -> None:
    """Backfill on Scrapyd nodes: one job per (source, month), at most one running job per source across
    the whole cluster. Deploys the project to every node, schedules, polls, queues again a job that ended
    without finishing its window, and prints a line per change. Every job writes into the shared lake
    (--db postgres:... with $NEWSALIGN_DATA_PATH; see docs/crawling.md). A re-run skips done windows.

    \b
    Examples:
      newsalign crawl plan --since 2023-01 --until 2024-06 --sources bbc,guardian --dry-run
      newsalign crawl plan --since 2023-01 --until 2024-06 --sources bbc,guardian \\
          --nodes http://n1:6800,http://n2:6800 --db "postgres:dbname=news host=db1"
    """
    from newsalign import warehouse
    from newsalign.crawler.config import crawl_settings
    from newsalign.jobs.plan.ledger import done_windows, month_windows
    from newsalign.jobs.plan.planner import Planner
    from newsalign.jobs.plan.scrapyd import Node

    first, last = since[0], until[1]
    if first > last:
        raise NewsalignError(f"--since ({first}) is after --until ({last})")
    site_map = dict(sites)
    chosen = _checked_sources(sources, site_map, {})
    windows = month_windows(chosen, first, last)
    db = str(warehouse.resolve_db_path(db))
    if dry_run:
        lake = warehouse.resolve_lake(db)
        done = set()
        if lake.exists():
            with warehouse.connect(db, read_only=True) as con:
                done = done_windows(con)
        for window in windows:
            click.echo(f"{window.source:<12} {window.since} .. {window.until}{'  (done)' if window in done else ''}")
        click.echo(f"{len(windows)} jobs, {len(windows) - len(done & set(windows))} to crawl.")
        return
    if not nodes:
        raise NewsalignError("--nodes is required (comma-separated Scrapyd URLs), or --dry-run")
    planner = Planner(
        windows,
        [Node(url) for url in nodes],
        db,
        settings={name: value if isinstance(value, str) else json.dumps(value) for name, value in settings},
        spider_args={source: {"site": url} for source, url in site_map.items()},
        crawler_extensions=crawl_settings().getdict("EXTENSIONS"),
        attempts=attempts,
        poll=poll,
        say=lambda line: click.echo(scrub(line), err=True),  # a node URL may carry user:password@
    )
    try:
        with warehouse.ctrl_c_in_queries():
            outcome = planner.run()
    except KeyboardInterrupt:  # the lease is released; Scrapyd finishes the jobs it runs
        raise NewsalignError(
            "plan stopped; the jobs already running on the nodes go on, and the same command resumes the plan "
            "(windows done are skipped, a source still crawling is not started twice)"
        ) from None
    click.echo(
        f"{len(outcome.done)} windows crawled ({outcome.stored:,} articles stored), "
        f"{len(outcome.skipped)} already done, {len(outcome.failed)} failed."
    )
    if outcome.failed:
        raise NewsalignError(
            f"failed: {', '.join(w.label for w in outcome.failed)}; see the job logs on the nodes, then run the same plan again"
        )


@crawl.command("ccnews")
@click.option(
    "--since", type=Period(CC_NEWS_START), default=None, help="First month (2024-05) or day of the archive to read."
)
@click.option(
    "--until", type=Period(CC_NEWS_START), default=None, help="Last month (2024-06) or day (default: --since's month)."
)
@click.option("--sources", type=SOURCES, default=None, help="Comma-separated sources (default: every spider).")
@click.option("--processes", default=1, show_default=True, type=POSITIVE_INT, help="Files read at once.")
@click.option(
    "--server", type=HTTP_URL, default="https://data.commoncrawl.org/", show_default=True, help="Where the archive is."
)
@click.option("--warc", "warc_files", multiple=True, type=click.Path(dir_okay=False), help="A WARC file on disk.")
@click.option("--keep", default=None, type=click.Path(file_okay=False), help="Also save each file read into DIR.")
@click.option("--attempts", default=6, show_default=True, type=POSITIVE_INT, help="Tries per request.")
@click.option(
    "--backoff",
    type=NON_NEGATIVE_SECONDS,
    default=2.0,
    show_default=True,
    help="Seconds before the first retry (doubling).",
)
@click.option(
    "-s", "settings", type=SETTING, multiple=True, metavar="NAME=VALUE", help="Crawl setting for the pipelines."
)
@db_option
def ccnews(since, until, sources, processes, server, warc_files, keep, attempts, backoff, settings, db) -> None:
    """Read Common Crawl's CC-NEWS archive (from 2016-08): the WARC files of the window, streamed, keeping
    the responses of the chosen sources' hosts, parsed by the spiders' parsers and sent through the
    crawl's pipelines. Each file is recorded in the lake: a re-run skips finished files and reads again
    those a kill interrupted; a failed (cut, corrupt, unreachable) file is reported and read again next time.

    \b
    Examples:
      newsalign crawl ccnews --since 2024-05 --sources bbc,guardian --processes 4
      newsalign crawl ccnews --since 2024-05-01 --until 2024-05-07
      newsalign crawl ccnews --warc CC-NEWS-20240501000000-00001.warc.gz
    """
    from newsalign import warehouse
    from newsalign.jobs.ccnews.run import Request, crawl_ccnews
    from newsalign.jobs.ccnews.stream import Retries

    if not warc_files and not since:
        raise NewsalignError("give --since (and --until) for the archive, or --warc FILE")
    first = since[0] if since else None
    last = (until or since)[1] if since else None
    if first and first > last:
        raise NewsalignError(f"--since ({first}) is after --until ({last})")
    chosen = _checked_sources(sources, {}, {})
    request = Request(chosen, first, last, warc_files, server, processes, keep, Retries(attempts, backoff))

    def on_file(result, progress) -> None:
        name = result.path.rsplit("/", 1)[-1]
        what = f"failed: {result.error}" if result.error else f"{result.counts.get('stored', 0)} stored"
        click.echo(
            scrub(f"{name}: {result.counts.get('records', 0):,} records, {result.counts.get('ours', 0)} ours, {what}")
        )
        click.echo(f"  {progress.line()}")

    overrides = dict(settings) | ({"NEWSALIGN_DB": db} if db else {})
    try:
        with warehouse.ctrl_c_in_queries():
            progress = crawl_ccnews(
                request, overrides, on_file=on_file, warn=lambda line: click.echo(scrub(line), err=True)
            )
    except KeyboardInterrupt:
        raise NewsalignError("interrupted: run the same command to resume (files in flight are read again)") from None
    click.echo(
        f"{len(progress.done)} files read ({progress.skipped} finished earlier, skipped), "
        f"{progress.counts['stored']:,} articles stored, {len(progress.failed)} failed."
    )
    if len(progress.done) < progress.total:
        raise NewsalignError(f"{progress.total - len(progress.done)} file(s) not read: a worker stopped; run again")
    if progress.failed:
        raise NewsalignError(f"{len(progress.failed)} file(s) failed (see above); run the same command to retry them")
