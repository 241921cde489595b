"""`newsalign watch`: crawl on a schedule, enrich and score what is new, report each new signal once."""

from __future__ import annotations

import re

import click

from newsalign.cli import db_option
from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h)?$")


def parse_every(text: str) -> float:
    match = _DURATION.match(text.strip())
    if not match or float(match[1]) <= 0:
        raise NewsalignError(f"--every expects a duration like 90s, 15m or 1h, not {text!r}")
    return float(match[1]) * {"s": 1, "m": 60, "h": 3600, None: 1}[match[2]]


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise NewsalignError(f"{option} expects NAME=VALUE, got {value!r}")
        pairs[name] = rest
    return pairs


@click.command()
@click.option("--every", default="15m", show_default=True, help="Start a cycle this often (90s, 15m, 1h).")
@click.option("--once", is_flag=True, help="Run one cycle and exit (for cron and systemd timers).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, exists=True), help="Score with this model.")
@click.option("--enrich", type=click.Choice(["llm"]), default=None, help="Ask the LLM about each new article.")
@click.option("--jsonl", type=click.Path(dir_okay=False), help="Append one JSON object per new signal to FILE.")
@click.option("--webhook", help="POST each new signal (JSON) to this URL; retried, failures retried next cycle.")
@click.option("--sources", default=None, help="Comma-separated sources (default: all six).")
@click.option("--site", "sites", multiple=True, metavar="SOURCE=URL", help="A base URL standing in for a source.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting for the crawls.")
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

    from newsalign.crawler.parsers import SOURCES
    from newsalign.jobs.watch.cycle import WatchOptions
    from newsalign.jobs.watch.loop import watch as run_watch
    from newsalign.jobs.watch.reporters import JsonlReporter, TerminalReporter, WebhookReporter

    if model_dir is None and enrich is None:
        raise NewsalignError("watch needs a detector: --model DIR, or --enrich llm (the LLM's signal)")
    chosen = [s.strip() for s in sources.split(",")] if sources else list(SOURCES)
    unknown = sorted(set(chosen) - set(SOURCES))
    if unknown:
        raise NewsalignError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    reporters = [TerminalReporter()]
    reporters += [JsonlReporter(jsonl)] if jsonl else []
    reporters += [WebhookReporter(webhook)] if webhook else []
    options = WatchOptions(
        chosen, db, Path(model_dir) if model_dir else None, enrich, _pairs(sites, "--site"),
        _pairs(settings, "-s"), reporters,
    )  # fmt: skip
    interval = None if once else parse_every(every)
    try:
        run_watch(options, every=interval, on_step=lambda line: click.echo(scrub(line), err=True))
    except KeyboardInterrupt:
        raise NewsalignError("stopped (Ctrl-C); the next watch resumes where this one stopped") from None
