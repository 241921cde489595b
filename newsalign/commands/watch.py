"""`newsalign watch`: crawl on a schedule, enrich and score what is new, report each new signal once."""

from __future__ import annotations

import click

from newsalign.cli import db_option
from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.options import DURATION, HTTP_URL, SETTING, SITE, SOURCES


@click.command()
@click.option(
    "--every", type=DURATION, default="15m", show_default=True, help="Start a cycle this often (90s, 15m, 1h)."
)
@click.option("--once", is_flag=True, help="Run one cycle and exit (for cron and systemd timers).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, exists=True), help="Score with this model.")
@click.option("--enrich", type=click.Choice(["llm"]), default=None, help="Ask the LLM about each new article.")
@click.option("--jsonl", type=click.Path(dir_okay=False), help="Append one JSON object per new signal to FILE.")
@click.option(
    "--webhook", type=HTTP_URL, help="POST each new signal (JSON) to this URL; retried, failures retried next cycle."
)
@click.option("--sources", type=SOURCES, default=None, help="Comma-separated sources (default: all six).")
@click.option(
    "--site", "sites", type=SITE, multiple=True, metavar="SOURCE=URL", help="A base URL standing in for a source."
)
@click.option(
    "-s", "settings", type=SETTING, multiple=True, metavar="NAME=VALUE", help="A Scrapy setting for the crawls."
)
@db_option
def watch(every, once, model_dir, enrich, jsonl, webhook, sources, sites, settings, db) -> None:
    """Watch the news: each cycle crawls only the news sitemaps and feeds (asked conditionally, stored pages
    never fetched again), enriches and scores the new articles, and reports each new signal once (a table
    here, --jsonl, --webhook). Without --model the LLM's signal (--enrich llm) is the detector.

    \b
    Examples:
      newsalign watch --every 15m --model models/dpo --enrich llm --jsonl signals.jsonl
      newsalign watch --once --sources bbc,guardian --enrich llm --webhook https://hooks.example/news
    """
    from pathlib import Path

    from newsalign import warehouse
    from newsalign.crawler.parsers import SOURCES
    from newsalign.jobs.watch.cycle import WatchOptions
    from newsalign.jobs.watch.loop import watch as run_watch
    from newsalign.jobs.watch.reporters import JsonlReporter, TerminalReporter, WebhookReporter

    if model_dir is None and enrich is None:
        raise NewsalignError("watch needs a detector: --model DIR, or --enrich llm (the LLM's signal)")
    chosen = sources or list(SOURCES)
    reporters = [TerminalReporter()]
    reporters += [JsonlReporter(jsonl)] if jsonl else []
    reporters += [WebhookReporter(webhook)] if webhook else []
    options = WatchOptions(
        chosen, db, Path(model_dir) if model_dir else None, enrich, dict(sites), dict(settings), reporters,
    )  # fmt: skip
    interval = None if once else every
    try:
        with warehouse.ctrl_c_in_queries():
            run_watch(options, every=interval, on_step=lambda line: click.echo(scrub(line), err=True))
    except KeyboardInterrupt:
        raise NewsalignError("stopped (Ctrl-C); the next watch resumes where this one stopped") from None
