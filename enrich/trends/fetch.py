"""Plan the series (one per distinct topic and geo), group them up to five a request (`batch`), then
send them, asking again (by measured level, then alone) any topic a shared answer leaves unsettled
(`precision`): polite delay,
jittered exponential backoff on 429 (tenacity), a clear stop after --max-retries, --max-requests, a
tqdm bar with ETA, shards by topic hash. Each answer is committed as it arrives, so a rerun resumes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from tqdm import tqdm

from newsalign.core.errors import NewsalignError
from newsalign.core.shards import in_shard
from newsalign.enrich.trends.backends import RateLimited, TopicFailed, Transient, TrendsBackend
from newsalign.enrich.trends.batch import groups, measure, span, split
from newsalign.enrich.trends.precision import Rules, settled
from newsalign.enrich.trends.series import ANCHORS, MonthlySeries, month_start, published_span, timeframe, window
from newsalign.enrich.trends.store import Answer, Known, Request, covered, levels, save
from newsalign.warehouse.labels import label_settings


def plan(
    con: duckdb.DuckDBPyConnection, *, topics_per_article: int, anchor: str, geo: str, today: date
) -> list[Request]:
    """One request per topic among the articles' first `topics_per_article` topics, sorted. For
    `published` it spans the ten years before the topic's earliest publication month to the month
    before its latest, so one series serves every article of the topic; `fetch` ends today."""
    if anchor not in ANCHORS:
        raise NewsalignError(f"--anchor must be one of {', '.join(ANCHORS)}, not {anchor!r}")
    if topics_per_article < 1:
        raise NewsalignError("--topics-per-article must be at least 1")
    rows = con.execute(
        "SELECT topic, list(DISTINCT published_month ORDER BY published_month) FILTER (published_month IS NOT NULL) "
        "FROM int_topics WHERE rank <= ? AND topic <> '' GROUP BY topic "
        "HAVING ? = 'fetch' OR count(published_month) > 0 ORDER BY topic",
        [topics_per_article, anchor],
    ).fetchall()
    if anchor == "fetch":
        fetch_month = month_start(today)
        start, end = window(anchor, fetch_month, today)
        return [Request(topic, geo, anchor, fetch_month, fetch_month, start, end) for topic, _ in rows]
    requests = []
    for topic, months in rows:
        start, end = published_span(months[0], months[-1])
        requests.append(Request(topic, geo, anchor, months[-1], months[0], start, end, tuple(months)))
    return requests


def pending(
    requests: list[Request], done: dict[str, list[tuple[date, date]]], shard: tuple[int, int] | None
) -> list[Request]:
    """Drop what this shard does not own and what is already answered: for `fetch` any answer for
    the topic; for `published` answers whose ranges cover every publication month the request
    serves (a new article outside them refetches the topic over the whole span)."""

    def answered(r: Request) -> bool:
        ranges = done.get(r.topic, [])
        if r.anchor == "fetch":
            return bool(ranges)
        return all(any(first <= month <= last for first, last in ranges) for month in r.serves)

    return [r for r in requests if in_shard(r.topic, shard) and not answered(r)]


class _OutOfRequests(Exception):
    """--max-requests is reached: stop sending (not retried)."""


@dataclass
class Report:
    planned: int = 0
    requests_sent: int = 0
    regrouped: int = 0  # topics whose first shared answer did not settle their labels, asked again by level
    asked_alone: int = 0  # topics no shared answer settled (or without data), asked again alone
    ok: int = 0
    empty: int = 0
    errors: int = 0
    left: int = 0
    stopped: str | None = None  # why the run ended early, with what to do next
    error_examples: list[str] = field(default_factory=list)


@dataclass
class _Sender:
    """One run's sending state, in plain view: the `report` it fills, the measured `levels` it places topics by,
    the `regroup` queue of topics to ask again by level, and the progress `bar` it advances per stored series."""

    backend: TrendsBackend
    con: duckdb.DuckDBPyConnection
    rules: Rules
    retrying: Retrying
    sleep: Callable[[float], None]
    max_requests: int | None
    bar: tqdm
    report: Report
    levels: dict[str, float]
    regroup: list[Request] = field(default_factory=list)

    def send(self, batch: list[Request]) -> dict[str, MonthlySeries]:
        """One request to the backend (after its polite delay), or _OutOfRequests at --max-requests."""
        if self.max_requests is not None and self.report.requests_sent >= self.max_requests:
            raise _OutOfRequests
        if self.report.requests_sent:
            self.sleep(self.backend.delay)
        self.report.requests_sent += 1
        start, end = span(batch)
        return self.backend.fetch([r.topic for r in batch], start, end, batch[0].geo)

    def count(self, series: MonthlySeries | None, error: str | None = None) -> None:
        """Count one stored series (or failed topic) in the report and on the bar."""
        if series is None:
            self.report.errors += 1
            if len(self.report.error_examples) < 3:
                self.report.error_examples.append(error)
        else:
            self.report.empty += series.empty
            self.report.ok += not series.empty
        self.bar.update(1)

    def ask(self, batch: list[Request], regrouped: bool = False) -> None:
        """One request for `batch`, everything stored; each unsettled member regrouped or asked alone."""
        try:
            answers = self.retrying(self.send, batch)
        except (RateLimited, Transient) as exc:
            failures = self.retrying.statistics["attempt_number"]
            raise NewsalignError(_give_up(exc, failures, batch, self.report, self.backend)) from None
        except TopicFailed as exc:
            if len(batch) > 1:
                for request in batch:
                    self.ask([request])
                return
            save(self.con, self.backend.name, [Answer(batch[0], None, str(exc))])
            self.count(None, str(exc))
            return
        if len(batch) == 1 or all(series.empty for series in answers.values()):  # alone, or no data for any
            answered = [Answer(r, answers[r.topic], companions=_others(batch, r)) for r in batch]
            save(self.con, self.backend.name, answered, timeframe(*span(batch)))
            for r in batch:
                self.count(answers[r.topic])
            return
        self._store_shared(batch, answers, regrouped)

    def _store_shared(self, batch: list[Request], answers: dict[str, MonthlySeries], regrouped: bool) -> None:
        """Store a shared answer: settled topics as they are, the others as `coarse` with their measured level,
        queued to be asked again by level (first time) or alone (after regrouping, or without data)."""
        measured = measure(answers, self.levels)
        self.levels.update(measured)
        stored, alone, again = [], [], []
        for r in batch:
            series = answers[r.topic]
            if settled(series, r.serves, self.rules):
                stored.append(Answer(r, series, companions=_others(batch, r), level=measured[r.topic]))
                continue
            final = regrouped or series.empty  # no data beside companions that have some: ask alone
            (alone if final else again).append(r)
            peak = max(series.values, default=0) if final else None
            stored.append(Answer(r, series, companions=_others(batch, r), coarse=True, shared_peak=peak,
                                 level=measured[r.topic]))  # fmt: skip
        save(self.con, self.backend.name, stored, timeframe(*span(batch)))
        for answer in stored:
            if not answer.coarse:
                self.count(answer.series)
        self.regroup.extend(again)
        self.report.regrouped += len(again)
        self.report.asked_alone += len(alone)
        for r in alone:
            self.ask([r])


def run(
    requests: list[Request],
    backend: TrendsBackend,
    con: duckdb.DuckDBPyConnection,
    *,
    known: dict[str, Known] | None = None,
    terms_per_request: int = 1,
    rules: Rules | None = None,
    max_requests: int | None = None,
    max_retries: int = 10,
    backoff: float = 10.0,
    backoff_cap: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
    progress: bool | None = None,
) -> Report:
    """Send `requests` up to `terms_per_request` topics a request through `backend`, saving each
    request's answers to `con` in one transaction as they arrive. A topic whose shared answer does not
    settle its labels (`precision.settled`) is stored as `coarse` with its measured level; once the
    first shared requests are answered, such topics are asked again in groups of measured level, and
    any still unsettled (or without data beside companions that have some) alone. `known`
    (`store.levels`) places topics stored by earlier runs. A 429 or a transient failure is retried up
    to `max_retries` times, attempt n after a wait drawn uniformly from 0 to min(backoff_cap, backoff ×
    2^(n-1)) seconds (full jitter). A batch the backend refuses (TopicFailed) is asked again one
    topic at a time, so one bad topic does not fail its companions."""
    known = known or {}
    report = Report(planned=len(requests))
    retrying = Retrying(
        retry=retry_if_exception_type((RateLimited, Transient)),
        stop=stop_after_attempt(max_retries + 1),
        wait=wait_random_exponential(multiplier=backoff, max=backoff_cap),
        sleep=sleep,
        reraise=True,
    )
    first, again, alone = split(requests, known, terms_per_request)
    bar = tqdm(total=report.planned, unit="series", desc="trends", disable=None if progress is None else not progress)
    sender = _Sender(
        backend,
        con,
        rules or Rules(),
        retrying,
        sleep,
        max_requests,
        bar,
        report,
        levels={topic: k.level for topic, k in known.items()},
    )
    try:
        for batch in groups(first, sender.levels, terms_per_request):
            sender.ask(batch)
        sender.regroup.extend(again)
        for batch in groups(sender.regroup, sender.levels, terms_per_request):
            sender.ask(batch, regrouped=True)
        for request in alone:
            sender.ask([request])
    except _OutOfRequests:
        report.left = report.planned - report.ok - report.empty - report.errors
        report.stopped = f"--max-requests {max_requests} reached with {report.left} series left; run again to continue"
    finally:
        bar.close()
    return report


def _others(batch: list[Request], request: Request) -> tuple[str, ...]:
    return tuple(o.topic for o in batch if o is not request)


def _give_up(exc: Exception, failures: int, batch: list[Request], report: Report, backend: TrendsBackend) -> str:
    at = ", ".join(repr(r.topic) for r in batch)
    kept = f"the {report.ok + report.empty + report.errors} answers of this run are stored; a rerun resumes"
    if isinstance(exc, RateLimited):
        return (
            f"Google Trends answered 429 (too many requests) {failures} times in a row at {at}; {kept}. "
            "Wait an hour, lower --max-requests, split the work with --shard i/N over machines, or use --backend csv"
        )
    return (
        f"{backend.name} failed {failures} times in a row at {at} (last: {exc}); {kept}. "
        "Check the network connection, then run again"
    )


def enrich_trends(
    con: duckdb.DuckDBPyConnection,
    backend: TrendsBackend,
    *,
    out: duckdb.DuckDBPyConnection | None = None,
    topics_per_article: int | None = None,
    anchor: str | None = None,
    geo: str | None = None,
    shard: tuple[int, int] | None = None,
    today: date | None = None,
    terms_per_request: int = 1,
    **run_options,
) -> Report:
    """Fetch the series the articles in `con` still need, into `out` (a shard file) or `con` itself.
    Unset options take label_params' values, so the fetched series are the ones the labels read."""
    params = label_settings(con)  # one clear line, not a DuckDB error, when a label setting is malformed
    topics_per_article = topics_per_article or params["topics_per_article"]
    anchor = anchor or params["anchor"]
    geo = params["geo"] if geo is None else geo
    requests = plan(con, topics_per_article=topics_per_article, anchor=anchor, geo=geo, today=today or date.today())
    if not requests:
        raise NewsalignError(
            "no article topics to look up: run `newsalign enrich llm` first"
            + (" (with --anchor published, articles need a publication date)" if anchor == "published" else "")
        )
    target = out or con
    done = covered(con, anchor, geo)
    for topic, ranges in (covered(out, anchor, geo) if out is not None else {}).items():
        done.setdefault(topic, []).extend(ranges)
    todo = pending(requests, done, shard)
    known = levels(con, anchor, geo)
    if out is not None:
        known.update(levels(out, anchor, geo))
    report = run(
        todo, backend, target, known=known, terms_per_request=terms_per_request, rules=Rules.of(params), **run_options
    )
    report.planned = len(requests)
    return report
