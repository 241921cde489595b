"""A cycle's crawl, in a child process: Scrapy's reactor cannot start twice in one process, and a crawl
that crashes must not take the watch loop with it. On Linux the child dies with the loop (kill -9 too).

    python -m newsalign.jobs.watch.crawl '{"sources": [...], "settings": {...}, "sites": {...}}'

prints one JSON line: per source, its progress (`jobs.crawl_all.SourceProgress`)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys

from newsalign.core.errors import NewsalignError


def _die_with(parent: int) -> None:
    """In the child: be killed when the watch process dies (Linux), and stop now if it already has."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit("the watch process is gone")


def crawl_in_child(sources: list[str], settings: dict, sites: dict[str, str]) -> list[dict]:
    """Crawl the news sitemaps and feeds of `sources` (no backfill window) in a child; its progress rows."""
    spec = json.dumps({"sources": sources, "settings": settings, "sites": sites, "parent": os.getpid()})
    with subprocess.Popen(
        [sys.executable, "-m", "newsalign.jobs.watch.crawl", spec],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            out, _ = child.communicate()
        except KeyboardInterrupt:
            child.wait()  # it got the same Ctrl-C and is closing its crawl cleanly (a second Ctrl-C forces it)
            raise
    lines = out.strip().splitlines()
    if child.returncode != 0 or not lines:
        raise NewsalignError(f"the cycle's crawl failed (exit {child.returncode}); see its log above")
    return json.loads(lines[-1])


def main(spec: str) -> None:
    from newsalign.jobs.crawl_all import crawl_sources

    args = json.loads(spec)
    _die_with(args["parent"])
    rows = crawl_sources(args["sources"], settings=args["settings"], spider_args={}, sites=args["sites"])
    print(json.dumps([dataclasses.asdict(row) for row in rows]))


if __name__ == "__main__":
    main(sys.argv[1])
