"""The schedule: a plain loop. A cycle starts every `every` seconds from the start of the last one; a
cycle that runs longer delays the next (cycles never overlap) and says so. Ctrl-C stops between steps
(the crawl child stops cleanly on the same signal); kill -9 loses nothing (see `cycle`). A failed cycle
(its crawl crashed, the lake unreachable) is recorded and the next one runs as planned; with `--once` it
is the command's error.

Why not APScheduler 3.x: its interval trigger with `max_instances=1` and `coalesce` gives the same
never-overlap rule, but adds a thread pool, a job store and misfire settings to reason about for one
job in one process; `--once` under cron or a systemd timer is the other half of the story."""

from __future__ import annotations

import time
from collections.abc import Callable

from newsalign import warehouse
from newsalign.core.errors import NewsalignError
from newsalign.jobs.watch.cycle import Scorer, WatchOptions, run_cycle


def watch(
    options: WatchOptions,
    *,
    every: float | None,
    cycles: int | None = None,
    on_step: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run cycles (one with `every=None`, else until Ctrl-C or `cycles` ran); how many ran."""
    scorer = Scorer(options.model) if options.model else None
    ran = 0
    while True:
        started = time.monotonic()
        try:
            with warehouse.connect(options.db) as con:
                detail = run_cycle(con, options, scorer, on_step=on_step)
            on_step(f"cycle {detail['cycle_id']}: {detail['new_signals']} new signals reported")
        except NewsalignError as exc:
            if every is None:
                raise
            on_step(f"the cycle failed ({exc}); the next one tries again")
        ran += 1
        if every is None or (cycles is not None and ran >= cycles):
            return ran
        took = time.monotonic() - started
        if took > every:
            on_step(f"the cycle took {took:.0f}s, longer than --every {every:.0f}s: the next one starts now")
        else:
            sleep(every - took)
