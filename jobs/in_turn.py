"""Crawl sources one after another in one process, into one warehouse (the demo, tests, benchmarks).

One after another, not at once: each crawl's dedup step loads what the earlier crawls stored, so a
story syndicated from one source to another is caught as a near-duplicate. Scrapy's reactor starts
once per process, so `crawl_in_turn()` runs once per process; `in_turn_command()` is the command line
that runs it in a fresh one:

    python -m newsalign.jobs.in_turn --db /tmp/w --site bbc=http://127.0.0.1:8123 [...] [-s NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.log import configure_logging
from scrapy.utils.reactor import install_reactor

from newsalign.crawler.config import crawl_settings, setting_values

# Crawls of loopback stand-ins: still polite to robots.txt, but no delays, no retries, quiet logs
# (the demo prints a summary; tests read the lake).
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}


def in_turn_command(db: str | os.PathLike, sites: Mapping[str, str], *args: str) -> list[str]:
    """The command line that crawls `sites` ({source: base URL}) one after another in a fresh process."""
    return [
        sys.executable,
        "-m",
        "newsalign.jobs.in_turn",
        "--db",
        str(db),
        *(f"--site={s}={u}" for s, u in sites.items()),
        *args,
    ]


def crawl_in_turn(
    db: str | os.PathLike,
    sites: Mapping[str, str],
    *,
    settings: Mapping[str, Any] | None = None,
    spider_args: Mapping[str, str] | None = None,
) -> None:
    """Run the spider of every source in `sites` ({source: base URL}), one after another; store into `db`."""
    merged = crawl_settings(**{**LOOPBACK_SETTINGS, **(settings or {}), "NEWSALIGN_DB": str(db)})
    install_reactor(merged["TWISTED_REACTOR"])
    configure_logging(merged)
    runner = AsyncCrawlerRunner(merged)
    loader = SpiderLoader.from_settings(merged)

    async def each_in_turn() -> None:
        for source, base in sites.items():
            await runner.crawl(loader.load(source), site=base, **(spider_args or {}))

    run_in_reactor(each_in_turn())


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


def _pairs(values: list[str]) -> dict[str, str]:
    return dict(pair.partition("=")[::2] for pair in values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m newsalign.jobs.in_turn", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--site", action="append", required=True, metavar="SOURCE=URL")
    parser.add_argument("-a", dest="args", action="append", default=[], metavar="NAME=VALUE", help="spider argument")
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="Scrapy setting (JSON values)"
    )
    opts = parser.parse_args(argv)
    crawl_in_turn(
        opts.db, _pairs(opts.site), settings=setting_values(_pairs(opts.settings)), spider_args=_pairs(opts.args)
    )


if __name__ == "__main__":
    main()
