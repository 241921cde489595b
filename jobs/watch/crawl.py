"""A cycle's crawl, in a child process: Scrapy's reactor cannot start twice in one process, and a crawl
that crashes must not take the watch loop with it. On Linux the child dies with the loop (kill -9 too).

    python -m newsalign.jobs.watch.crawl '{"sources": [...], "settings": {...}, "sites": {...}}'

prints one JSON line: per source, its progress (`jobs.crawl_all.SourceProgress`)."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys

from newsalign.core.errors import NewsalignError


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def crawl_in_child(sources: list[str], settings: dict, sites: dict[str, str]) -> list[dict]:
    """Crawl the news sitemaps and feeds of `sources` (no backfill window) in a child; its progress rows."""
    spec = json.dumps({"sources": sources, "settings": settings, "sites": sites})
    child = subprocess.run(
        [sys.executable, "-m", "newsalign.jobs.watch.crawl", spec],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        check=False,
    )
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        raise NewsalignError(f"the cycle's crawl failed (exit {child.returncode}); see its log above")
    return json.loads(lines[-1])


def main(spec: str) -> None:
    from newsalign.jobs.crawl_all import crawl_sources

    args = json.loads(spec)
    rows = crawl_sources(args["sources"], settings=args["settings"], spider_args={}, sites=args["sites"])
    print(json.dumps([dataclasses.asdict(row) for row in rows]))


if __name__ == "__main__":
    main(sys.argv[1])
