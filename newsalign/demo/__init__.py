"""`newsalign demo`: the whole platform, offline, on an embedded sample of the six sites.

`run_demo()` runs `STEPS` in order over a fresh warehouse; each step is a function of the
`DemoContext`: crawl the sample with the real spiders and pipelines, summarize the crawl, enrich
(LLM answers and Trends series, from sample data unless --live), show the labels, write the
thesis-format dataset, and (with --train) train and compare tiny models.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.crawler.parsers import SOURCES
from newsalign.demo.enrich import enrich_step, labels_step
from newsalign.demo.train import dataset_step, train_step
from newsalign.warehouse.db import ENV_VAR, resolve_db_path
from newsalign.warehouse.lake import CATALOG_FILE, in_use

DEFAULT_DEMO_DB = Path("data/demo")


@dataclass
class DemoContext:
    db: Path
    echo: Callable[[str], None] = print
    sources: tuple[str, ...] = SOURCES
    timings: dict[str, float] = field(default_factory=dict)
    live: bool = False  # enrich with the real LLM endpoint and Google Trends instead of the sample data
    train: bool = False  # also export training sets, train tiny models and compare them


def crawl_step(ctx: DemoContext) -> None:
    """Serve the sample on loopback and crawl it with the real spiders, in a child process (its own reactor)."""
    from newsalign.crawler.config import chromium_available
    from newsalign.demo.server import serve_sample
    from newsalign.jobs.in_turn import in_turn_command

    if "reuters" in ctx.sources and not chromium_available():
        ctx.echo(
            "Chromium not found (/usr/bin/chromium): skipping reuters, which needs a browser (apt-get install chromium)."
        )
        ctx.sources = tuple(s for s in ctx.sources if s != "reuters")
    with serve_sample(ctx.sources) as sites:
        if subprocess.run(in_turn_command(ctx.db, sites)).returncode != 0:
            raise NewsalignError("the demo crawl failed (see the log above)")


def summary_step(ctx: DemoContext) -> None:
    from newsalign.demo.summary import summary

    ctx.echo(summary(ctx.db, ctx.timings))


STEPS: list[Callable[[DemoContext], None]] = [
    crawl_step,
    summary_step,
    enrich_step,
    labels_step,
    dataset_step,
    train_step,
]


def demo_db_path(db: str | os.PathLike | None) -> Path:
    """--db, else $NEWSALIGN_DB, else data/demo. The demo recreates it, so an existing file named
    only by $NEWSALIGN_DB (perhaps the real warehouse) is refused rather than wiped."""
    path = resolve_db_path(db, default=DEFAULT_DEMO_DB)
    if db is None and os.environ.get(ENV_VAR) and path.exists():
        raise NewsalignError(
            f"${ENV_VAR} points at an existing warehouse ({path}) and the demo recreates its warehouse; "
            "pass --db PATH to choose the demo's file explicitly"
        )
    return path


def refuse_if_in_use(path: Path) -> None:
    """Raise if another process has the warehouse open (a crawl writing into it): never delete that."""
    if in_use(path):
        raise NewsalignError(f"{path} is in use by another process; stop it or pass another --db")


def run_demo(
    db: str | os.PathLike | None = None, *, echo: Callable[[str], None] = print, live: bool = False, train: bool = False
) -> DemoContext:
    """Run every demo step over a fresh warehouse at `db` (see `demo_db_path`)."""
    ctx = DemoContext(db=demo_db_path(db), echo=echo, live=live, train=train)
    if ctx.db.is_dir() and any(ctx.db.iterdir()) and not (ctx.db / CATALOG_FILE).is_file():
        raise NewsalignError(f"{ctx.db} is a folder but not a warehouse; pass --db PATH/demo")
    refuse_if_in_use(ctx.db)
    if ctx.db.is_file():  # a demo warehouse from before the lake
        ctx.db.unlink()
    shutil.rmtree(ctx.db, ignore_errors=True)
    for step in STEPS:
        started = time.perf_counter()
        step(ctx)
        ctx.timings[step.__name__.removesuffix("_step")] = time.perf_counter() - started
    return ctx
