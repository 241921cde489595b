"""Crawl the sample sites with the real spiders, one after another in one process, into one warehouse.

One after another, not at once: each crawl's dedup step loads what the earlier crawls stored, so a
story syndicated from one source to another is caught as a near-duplicate.

`crawl_sample()` runs in the calling process (Scrapy's reactor starts once per process, so call it
once). Tests and the benchmark want a fresh process per crawl:

    python -m newsalign.demo.crawl --db /tmp/w [--site bbc=http://127.0.0.1:8123 ...] [-s NAME=VALUE ...]

Without --site it serves the embedded sample itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.log import configure_logging
from scrapy.utils.reactor import install_reactor

from newsalign.crawler.spiders.reuters import chromium_path

# Fast but still polite to robots.txt: no delays on loopback, quiet logs (the demo prints a summary).
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """crawler/settings.py plus `overrides`, wherever the command is run from (no scrapy.cfg needed)."""
    settings = Settings()
    settings.setmodule("newsalign.crawler.settings", priority="project")
    settings.update(dict(overrides or {}), priority="cmdline")
    return settings


def sequential_command(db: str | os.PathLike, sites: Mapping[str, str], *args: str) -> list[str]:
    """The command line that crawls `sites` ({source: base URL}) one after another in a fresh process."""
    return [
        sys.executable,
        "-m",
        "newsalign.demo.crawl",
        "--db",
        str(db),
        *(f"--site={s}={u}" for s, u in sites.items()),
        *args,
    ]


def setting_values(pairs: dict[str, str]) -> dict[str, Any]:
    """`-s NAME=VALUE` settings with their values read as JSON where they are JSON (numbers, lists,
    booleans), as text otherwise; shared by this entry point and `newsalign crawl all`."""
    values = {}
    for name, value in pairs.items():
        try:
            values[name] = json.loads(value)
        except json.JSONDecodeError:
            values[name] = value
    return values


def chromium_available(settings: Settings | None = None) -> bool:
    return Path(chromium_path(settings or project_settings())).exists()


def crawl_sample(
    db: str | os.PathLike,
    sites: Mapping[str, str],
    *,
    settings: Mapping[str, Any] | None = None,
    spider_args: Mapping[str, str] | None = None,
) -> None:
    """Run the spider of every source in `sites` ({source: base URL}), one after another; store into `db`."""
    merged = project_settings({**DEMO_SETTINGS, **(settings or {}), "NEWSALIGN_DB": str(db)})
    install_reactor(merged["TWISTED_REACTOR"])
    configure_logging(merged)
    runner = AsyncCrawlerRunner(merged)
    loader = SpiderLoader.from_settings(merged)

    async def crawl_all() -> None:
        for source, base in sites.items():
            await runner.crawl(loader.load(source), site=base, **(spider_args or {}))

    run_in_reactor(crawl_all())


def run_in_reactor(coro) -> None:
    """Run `coro` on the installed Twisted reactor until it finishes; re-raise its failure here."""
    from twisted.internet import reactor  # the one install_reactor() chose

    done = deferred_from_coro(coro)
    failures = []
    done.addErrback(failures.append)
    done.addBoth(lambda _: reactor.stop())
    reactor.run()
    if failures:
        failures[0].raiseException()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m newsalign.demo.crawl", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--site", action="append", default=[], metavar="SOURCE=URL")
    parser.add_argument("-a", dest="args", action="append", default=[], metavar="NAME=VALUE", help="spider argument")
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting (JSON values allowed)",
    )
    opts = parser.parse_args(argv)
    settings = setting_values(dict(pair.partition("=")[::2] for pair in opts.settings))
    spider_args = dict(pair.partition("=")[::2] for pair in opts.args)
    if opts.site:
        crawl_sample(
            opts.db, dict(pair.partition("=")[::2] for pair in opts.site), settings=settings, spider_args=spider_args
        )
        return
    from newsalign.demo.server import serve_sample

    with serve_sample() as sites:
        crawl_sample(opts.db, sites, settings=settings, spider_args=spider_args)


if __name__ == "__main__":
    main()
