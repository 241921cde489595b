"""One worker process of a CC-NEWS crawl: one `Chain` (one `crawl_runs` row) for all its files; each
file one unit of work: ledger row 'running', records streamed through the parsers and the pipelines,
the articles flushed, then the row completed. Killed mid-file, the row stays 'running' and the file is
read again by the next run (articles are upserted by id). As a crawl skips the pages the warehouse
already answers (`pipeline.resume`), a capture of a URL already stored, or already read by this worker,
is not parsed again (counted as `skipped_stored`): CC-NEWS captures many pages more than once."""

from __future__ import annotations

import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests

from newsalign.core.secrets import scrub
from newsalign.core.urls import canonical_url
from newsalign.crawler.items import PageRejected
from newsalign.crawler.parsers import parse_page
from newsalign.jobs.ccnews import ledger
from newsalign.jobs.ccnews.records import STAGE, Capture, CorruptFile, captures
from newsalign.jobs.ccnews.stream import FetchFailed, RemoteFile, Retries, Tee
from newsalign.pipeline.resume import KNOWN_URLS
from newsalign.warehouse import ctrl_c_in_queries


@dataclass(frozen=True)
class Job:
    """What every worker needs (sent to each process): `server` None reads `paths` as local files."""

    hosts: dict[str, str]
    settings: dict = field(default_factory=dict)  # crawl setting overrides (NEWSALIGN_DB, ...)
    server: str | None = None
    retries: Retries = Retries()
    keep: str | None = None


@dataclass
class FileResult:
    path: str
    error: str | None
    counts: dict[str, int]
    seconds: float
    peak_rss_mb: float  # the worker process's peak resident memory so far


def work(job: Job, tasks, results) -> None:
    """Take paths from `tasks` until None; put a `FileResult` per file, then None, on `results`. The lake
    is opened (and a run begun) at the first path: a worker given none leaves no trace."""
    from newsalign.crawler.config import crawl_settings
    from newsalign.pipeline.chain import Chain

    chain = Chain(crawl_settings(**job.settings), spider="ccnews", source="ccnews").preload()
    try:
        path = tasks.get()  # meanwhile the model loads, and the main process opens the lake and lists files
    except KeyboardInterrupt:
        path = None
    if path is None:
        results.put(None)
        return
    chain.open()
    status = "finished"
    try:
        with ctrl_c_in_queries(), requests.Session() as session:  # a Ctrl-C mid-query is one too
            known = {_canonical(url) for (url,) in chain.writer.con.execute(KNOWN_URLS).fetchall()}
            chain.wait_until_ready()  # before the first file: a file's time is the file's
            while path is not None:
                results.put(read_file(path, job, chain, session, known))
                path = tasks.get()
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        chain.close(status=status)
        results.put(None)


def read_file(path: str, job: Job, chain, session: requests.Session, known: set[str]) -> FileResult:
    """One file, start to end, recorded in the ledger; `known`: canonical URLs not to parse again."""
    con, run_id = chain.writer.con, chain.writer.run_id
    ledger.start(con, path, run_id)
    counts: Counter[str] = Counter()
    began, error = time.monotonic(), None
    try:
        stream = _open(path, job, session)
        with stream:
            for capture in captures(stream, job.hosts, counts):
                _process(capture, chain, known, counts)
            counts["bytes"] = stream.tell()
            if isinstance(stream, Tee):
                stream.keep()
    except (CorruptFile, FetchFailed, OSError) as exc:
        error = scrub(str(exc))  # the archive's URL, as --server gave it (a user:password@ in it)
    if error is None and counts["bad_digest"]:
        error = f"corrupt: {counts['bad_digest']} record(s) with a bad block digest"
    chain.writer.flush()
    ledger.end(con, path, run_id, error=error, counts=counts)
    return FileResult(path, error, dict(counts), time.monotonic() - began, peak_rss_mb())


def _process(capture: Capture | PageRejected, chain, known: set[str], counts: Counter) -> None:
    """Parse a capture (unless its URL is known) and push the result through the pipelines."""
    if isinstance(capture, Capture):
        url = _canonical(capture.url)
        if url in known:
            counts["skipped_stored"] += 1
            return
        known.add(url)
    counts["stored"] += chain.process(_item(capture))


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM where /proc has it (ru_maxrss outlives an exec on
    Linux, so a spawned worker's would show its parent's), else ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _open(path: str, job: Job, session: requests.Session):
    if job.server is None:
        return Path(path).open("rb", buffering=0)
    stream = RemoteFile(session, urljoin(job.server, path), job.retries)
    return Tee(stream, Path(job.keep) / Path(path).name) if job.keep else stream


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except ValueError:
        return url


def _item(capture: Capture | PageRejected):
    """The parsed page (an Article or why it is not one); a parser crash is a recorded rejection."""
    if isinstance(capture, PageRejected):
        return capture
    try:
        return parse_page(capture.source, capture.html, capture.url, fetched_at=capture.captured)
    except Exception as exc:  # one page must not stop a 1 GB file: recorded with its reason
        return PageRejected(capture.source, capture.url, "parse_error", f"{type(exc).__name__}: {exc}", STAGE)
