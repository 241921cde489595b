"""`newsalign crawl ccnews`: the window's files (or local ones), less those finished earlier, read by a
pool of worker processes (`worker.work`), with a progress callback per file."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests

from newsalign import warehouse
from newsalign.core.errors import NewsalignError
from newsalign.jobs.ccnews import ledger, listing
from newsalign.jobs.ccnews.records import host_sources
from newsalign.jobs.ccnews.stream import Retries
from newsalign.jobs.ccnews.worker import FileResult, Job, work


@dataclass
class Progress:
    """Where the crawl stands after each file."""

    total: int
    skipped: int  # finished by an earlier run
    began: float = field(default_factory=time.monotonic)
    done: list[FileResult] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, result: FileResult) -> None:
        self.done.append(result)
        self.counts.update(result.counts)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.done if r.error]

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.began, 1e-9)
        left = self.total - len(self.done)
        eta = elapsed / len(self.done) * left if self.done else 0
        return (
            f"{len(self.done)}/{self.total} files, {self.counts['records'] / elapsed:,.0f} records/s,"
            f" {self.counts['stored']:,} articles stored, {len(self.failed)} failed, ETA {eta / 60:.1f} min"
        )


@dataclass(frozen=True)
class Request:
    """What to read: a window of the archive on `server`, or local `warc_files`."""

    sources: list[str]
    since: date | None = None
    until: date | None = None
    warc_files: tuple[str, ...] = ()
    server: str = listing.DEFAULT_SERVER
    processes: int = 1
    keep: str | None = None
    retries: Retries = Retries()


def crawl_ccnews(request: Request, settings: dict, *, on_file: Callable, warn: Callable) -> Progress:
    """Read every file of `request` not finished before into the warehouse of `settings` (crawl setting
    overrides: NEWSALIGN_DB, ...); `on_file(result, progress)` after each file."""
    job = Job(
        hosts=host_sources(request.sources),
        settings=settings,
        server=None if request.warc_files else request.server,
        retries=request.retries,
        keep=str(Path(request.keep).resolve()) if request.keep else None,
    )
    processes = min(request.processes, len(request.warc_files)) if request.warc_files else request.processes
    with Workers(job, processes) as workers:  # started first: their imports overlap the lake open and the listing
        todo, skipped = _files_to_read(request, settings, warn)
        progress = Progress(total=len(todo), skipped=skipped)
        workers.run(todo, lambda result: (progress.add(result), on_file(result, progress)))
    return progress


def _files_to_read(request: Request, settings: dict, warn: Callable) -> tuple[list[str], int]:
    """The window's (or the local) files not finished by an earlier run, and how many were."""
    con = warehouse.connect(settings.get("NEWSALIGN_DB"))
    try:
        finished = ledger.finished_paths(con)
    finally:
        con.close()
    if request.warc_files:
        paths = [str(Path(f).resolve()) for f in request.warc_files]
        missing = [p for p in paths if not Path(p).is_file()]
        if missing:
            raise NewsalignError(f"no such file: {missing[0]}")
    else:
        with requests.Session() as session:
            paths = listing.window_files(session, request.server, request.since, request.until, request.retries, warn)
    todo = [p for p in paths if p not in finished]
    return todo, len(paths) - len(todo)


class Workers:
    """Worker processes taking paths from one queue. Started on entry, before the files are known; a worker
    that gets no file exits without opening the lake.

    Forked by a fork server, a fresh process that imports the worker's modules once (no DuckDB connection
    crosses a fork: this process's never reach the workers): each worker starts with them loaded instead
    of importing them itself (~0.7 s of CPU a worker). pandas is among them because DuckDB imports it at a
    connection's first bound parameter (~0.35 s). The fork server starts with a process's first crawl and
    keeps that moment's environment and working folder, so paths reach the workers absolute."""

    def __init__(self, job: Job, processes: int):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["newsalign.jobs.ccnews.worker", "pandas"])
        self.tasks, self.results = context.Queue(), context.Queue()
        self.processes = [context.Process(target=work, args=(job, self.tasks, self.results)) for _ in range(processes)]
        self.told_to_stop = False
        self._starting = threading.Thread(target=self._start_all, name="start-ccnews-workers")
        self._start_error: BaseException | None = None

    def __enter__(self) -> Workers:
        self._starting.start()  # a start waits for the fork server's imports: meanwhile the caller lists files
        return self

    def _start_all(self) -> None:
        try:
            for process in self.processes:
                process.start()
        except BaseException as exc:  # raised in the caller's thread by `_started`
            self._start_error = exc

    def _started(self) -> list:
        """The started workers, once starting has ended; what stopped it, if anything did, raised."""
        self._starting.join()
        if self._start_error is not None:
            raise self._start_error
        return self.processes

    def run(self, paths: list[str], on_result: Callable[[FileResult], None]) -> None:
        workers = self._started()  # a failed start queues no file
        for path in paths:
            self.tasks.put(path)
        self._no_more_files()
        _collect(workers, self.results, on_result)

    def _no_more_files(self) -> None:
        if not self.told_to_stop:
            for _ in self.processes:
                self.tasks.put(None)
            self.told_to_stop = True

    def __exit__(self, *exc_info) -> None:
        self._no_more_files()  # the listing failed, or a Ctrl-C came first: nothing (more) to read
        self._starting.join()
        for process in self.processes:  # on Ctrl-C, which the workers get too, each closes its run as interrupted
            if process.pid is not None:
                process.join()


def _collect(workers: list, results, on_result: Callable[[FileResult], None]) -> None:
    """Results until every worker has put its end marker, or none is left alive."""
    running = len(workers)
    while running:
        try:
            result = results.get(timeout=1.0)
        except queue.Empty:
            if not any(p.is_alive() for p in workers):
                break  # a worker died without its end marker (killed): its file stays 'running'
            continue
        if result is None:
            running -= 1
        else:
            on_result(result)
