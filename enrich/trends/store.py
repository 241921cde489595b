"""Write series to `trend_series` (one committed row per answer, so a killed run loses nothing),
and merge shard files into the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.enrich.trends.series import MonthlySeries, timeframe
from newsalign.warehouse.lake import in_transaction
from newsalign.warehouse.merge import attached, split_locations

KEY = ("topic", "geo", "anchor", "anchor_month")
ANSWERED_STATUSES = ("ok", "empty")  # a series (with data or without): it serves articles' labels
ANSWERED = f"status IN {ANSWERED_STATUSES}"
COLUMNS = (
    "topic",
    "geo",
    "anchor",
    "anchor_month",
    "first_anchor_month",
    "timeframe",
    "backend",
    "status",
    "months",
    "interest",
    "partial",
    "error",
    "fetched_at",
    "companions",
    "shared_peak",
    "level",
)


@dataclass(frozen=True)
class Request:
    """One Trends request: its key in trend_series, the range of publication months it serves
    (first_anchor_month..anchor_month; both the fetch month for `fetch`), the months of articles
    that need it (`serves`, published only) and the window sent (start..end)."""

    topic: str
    geo: str
    anchor: str
    anchor_month: date
    first_anchor_month: date
    start: date
    end: date
    serves: tuple[date, ...] = ()


def covered(con: duckdb.DuckDBPyConnection, anchor: str, geo: str) -> dict[str, list[tuple[date, date]]]:
    """topic → the (first, last) publication-month ranges its answered series serve."""
    ranges: dict[str, list[tuple[date, date]]] = {}
    rows = con.execute(
        f"SELECT topic, first_anchor_month, anchor_month FROM trend_series WHERE anchor = ? AND geo = ? AND {ANSWERED}",
        [anchor, geo],
    ).fetchall()
    for topic, first, last in rows:
        ranges.setdefault(topic, []).append((first, last))
    return ranges


@dataclass(frozen=True)
class Known:
    """What stored rows say of a topic, for grouping (`batch`): ask it alone (no Trends data, or its
    answer unsettled in a regrouped request), regroup it (unsettled in a first shared request), and
    its newest measured level."""

    alone: bool = False
    regroup: bool = False
    level: float | None = None


def levels(con: duckdb.DuckDBPyConnection, anchor: str, geo: str) -> dict[str, Known]:
    """topic → `Known`, from stored rows."""
    rows = con.execute(
        "SELECT topic, bool_or(status = 'empty' OR shared_peak IS NOT NULL), bool_or(status = 'coarse'), "
        "  arg_max(level, fetched_at) FILTER (WHERE level IS NOT NULL) "
        "FROM trend_series WHERE anchor = ? AND geo = ? GROUP BY topic",
        [anchor, geo],
    ).fetchall()
    return {topic: Known(alone, regroup, level) for topic, alone, regroup, level in rows}


@dataclass(frozen=True)
class Answer:
    """What one request said about one topic: a series (kept, or `coarse`: a shared answer that does
    not settle the topic's labels) or an error; `companions` the other topics of that request;
    `shared_peak` the topic's peak in a regrouped shared answer still coarse, before it was asked
    alone; `level` its level measured in a shared answer (`batch.measure`)."""

    request: Request
    series: MonthlySeries | None
    error: str | None = None
    companions: tuple[str, ...] = ()
    coarse: bool = False
    shared_peak: int | None = None
    level: float | None = None


def save(
    con: duckdb.DuckDBPyConnection, backend: str, answers: list[Answer], timeframe_sent: str | None = None
) -> None:
    """Store the answers of one request in one transaction, so a killed run keeps all or none of
    them. An answer replaces the rows it supersedes (see `prune`); an error or a coarse answer
    replaces only earlier errors and coarse answers, never an answer still serving articles.
    Set-based: one read of the stored rows of the request's topics, deletes only where rows are
    replaced, one insert, and `prune` only where a topic has rows of another month (each DuckLake
    statement costs ~10 ms, whatever it touches)."""

    def write(c: duckdb.DuckDBPyConnection) -> None:
        stored = _StoredRows(c, sorted({answer.request.topic for answer in answers}))
        rows = [row for answer in answers if (row := stored.place(answer)) is not None]
        for key, unanswered_only in stored.replaced.items():
            c.execute(
                f"DELETE FROM trend_series WHERE {_MATCH}" + (f" AND NOT {ANSWERED}" if unanswered_only else ""), key
            )
        if rows:
            values = ", ".join(f"({', '.join('?' * len(COLUMNS))})" for _ in rows)
            c.execute(
                f"INSERT INTO trend_series ({', '.join(COLUMNS)}) VALUES {values}",
                [value for row in rows for value in _values(row, backend, timeframe_sent)],
            )
        for geo, topics in _published_answers(answers).items():  # once, not per answer: a self-join each time
            if spanning := [topic for topic in sorted(topics) if stored.months(topic, geo) > 1]:
                prune(c, geo, spanning)

    in_transaction(con, write)  # retried when another writer's commit wins the race


_MATCH = "topic = ? AND geo = ? AND anchor = ? AND anchor_month = ?"


class _StoredRows:
    """The stored rows of some topics (read once), updated as answers are placed among them: which
    answers are inserted, which keys' rows they replace (`replaced`: key -> unanswered rows only), and
    how many publication months a topic's rows span once they are in (`months`: `prune` needs two)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, topics: list[str]):
        self.rows: dict[tuple, list[tuple[str, int | None, float | None]]] = {}
        for *key, status, peak, level in con.execute(
            "SELECT topic, geo, anchor, anchor_month, status, shared_peak, level FROM trend_series "
            "WHERE list_contains(?, topic)",
            [topics],
        ).fetchall():
            self.rows.setdefault(tuple(key), []).append((status, peak, level))
        self.replaced: dict[tuple, bool] = {}
        self.placed: set[tuple] = set()

    def place(self, answer: Answer) -> Answer | None:
        """The answer as it is to be inserted (an answer keeps the shared peak and level measured by a coarse
        row it replaces), or None when an answer already stored under its key keeps its place."""
        request, status = answer.request, _status(answer)
        key = (request.topic, request.geo, request.anchor, request.anchor_month)
        if key in self.placed:  # one request asks a topic once: its answers' keys are distinct
            raise ValueError(f"two answers for {key} in one request")
        self.placed.add(key)
        rows = self.rows.get(key, [])
        answered = status in ANSWERED_STATUSES
        kept = [] if answered else [row for row in rows if row[0] in ANSWERED_STATUSES]
        if answered:  # asked alone after a coarse shared answer (maybe stored by a killed run): keep what it measured
            coarse = [row for row in rows if row[0] == "coarse"]
            peak = _largest([peak for _, peak, _ in coarse]) if answer.shared_peak is None else answer.shared_peak
            level = _largest([level for _, _, level in coarse]) if answer.level is None else answer.level
            answer = replace(answer, shared_peak=peak, level=level)
        if len(kept) < len(rows):  # an answer replaces every row of its key, an error or coarse one the unanswered
            self.replaced[key] = not answered
        if kept:  # an error or coarse answer never displaces an answer stored under the same key
            self.rows[key] = kept
            return None
        self.rows[key] = [(status, answer.shared_peak, answer.level)]
        return answer

    def months(self, topic: str, geo: str) -> int:
        """How many publication months the topic's `published` rows in `geo` span."""
        return len({key[3] for key in self.rows if key[:3] == (topic, geo, "published") and self.rows[key]})


def _values(answer: Answer, backend: str, timeframe_sent: str | None) -> list:
    """The row of `answer`, in COLUMNS' order."""
    request, series = answer.request, answer.series
    full = series is not None and not series.empty
    return [
        request.topic,
        request.geo,
        request.anchor,
        request.anchor_month,
        request.first_anchor_month,
        timeframe_sent or timeframe(request.start, request.end),
        backend,
        _status(answer),
        list(series.months) if full else None,
        list(series.values) if full else None,
        list(series.partial) if full else None,
        scrub(answer.error),
        datetime.now(timezone.utc),
        list(answer.companions),
        answer.shared_peak,
        answer.level,
    ]


def _published_answers(answers: list[Answer]) -> dict[str, set[str]]:
    """geo -> the topics answered (not an error, not coarse) for the `published` anchor: what `prune` can act on
    after these answers (a `fetch` row never supersedes anything)."""
    topics: dict[str, set[str]] = {}
    for answer in answers:
        if _status(answer) in ANSWERED_STATUSES and answer.request.anchor == "published":
            topics.setdefault(answer.request.geo, set()).add(answer.request.topic)
    return topics


def _status(answer: Answer) -> str:
    """The row's status: `error` (no series), `coarse`, else `empty` or `ok` (an answer: see ANSWERED)."""
    if answer.series is None:
        return "error"
    if answer.coarse:
        return "coarse"
    return "empty" if answer.series.empty else "ok"


def _largest(values: list) -> float | int | None:
    """SQL's max: the largest value that is not NULL, else NULL."""
    return max((value for value in values if value is not None), default=None)


def prune(con: duckdb.DuckDBPyConnection, geo: str | None = None, topics: list[str] | None = None) -> None:
    """Delete published rows that a newer answered row of the same topic and geo supersedes: its
    range of publication months contains theirs (an error row: any answered row containing it). Only
    `geo`'s rows of `topics` when given (a row superseded by a row that supersedes nothing new is
    already gone, so pruning after a batch of answers equals pruning after each)."""
    con.execute(
        "DELETE FROM trend_series AS t USING trend_series AS n "
        "WHERE t.anchor = 'published' AND n.anchor = 'published' AND t.topic = n.topic AND t.geo = n.geo "
        "  AND (?::VARCHAR[] IS NULL OR list_contains(?, t.topic)) AND (?::VARCHAR IS NULL OR t.geo = ?) "
        "  AND n.status IN ('ok', 'empty') AND t.anchor_month <> n.anchor_month "
        "  AND n.first_anchor_month <= t.first_anchor_month AND t.anchor_month <= n.anchor_month "
        "  AND (t.status = 'error' OR t.fetched_at < n.fetched_at)",
        [topics, topics, geo, geo],
    )


@dataclass(frozen=True)
class MergeReport:
    files: int
    rows_read: int
    written: int  # new keys, or keys whose stored row was an error or older


def merge(con: duckdb.DuckDBPyConnection, files: list[str | Path]) -> MergeReport:
    """Combine shard outputs (warehouses written by `enrich trends --out`, or Parquet copies of
    trend_series) into `con`'s trend_series (`merge_attached`, on the shards attached once)."""
    if not files:
        raise NewsalignError("give one or more shard files to merge")
    lakes, parquets = split_locations(files)
    with attached(con, lakes) as aliases:
        return merge_attached(con, dict(zip(aliases, lakes)), parquets)


def merge_attached(con: duckdb.DuckDBPyConnection, lakes: dict[str, str], parquets: list[Path]) -> MergeReport:
    """Merge the trend_series of the `attached` lakes ({alias: location}) and of the Parquet files into
    `con`'s. Per key the best row wins: an answer beats an error, then the newest fetch; so merging a
    file twice, or overlapping shards, changes nothing more. Published rows superseded by a newer, wider
    answer of the same topic are then dropped (`prune`)."""
    sources = [_lake_series(con, alias, location) for alias, location in lakes.items()]
    sources += ["read_parquet('" + str(file).replace("'", "''") + "')" for file in parquets]
    columns = ", ".join(c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE trend_series)").fetchall())
    union = " UNION ALL ".join(f"SELECT {columns} FROM {source}" for source in sources)
    key = ", ".join(KEY)
    on_key = " AND ".join(f"t.{c} = b.{c}" for c in KEY)

    def combine(c: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        (rows_read,) = c.execute(f"SELECT count(*) FROM ({union})").fetchone()
        c.execute(
            f"CREATE OR REPLACE TEMP TABLE merge_better AS "
            f"WITH incoming AS (SELECT * FROM ({union}) QUALIFY row_number() OVER "
            f"  (PARTITION BY {key} ORDER BY status IN ('ok', 'empty') DESC, fetched_at DESC) = 1) "
            f"SELECT i.* FROM incoming i LEFT JOIN trend_series s USING ({key}) "
            f"WHERE s.topic IS NULL "
            f"   OR (i.status IN ('ok', 'empty') AND s.status NOT IN ('ok', 'empty')) "
            f"   OR ((i.status IN ('ok', 'empty')) = (s.status IN ('ok', 'empty')) AND i.fetched_at > s.fetched_at)"
        )
        c.execute(f"DELETE FROM trend_series t USING merge_better b WHERE {on_key}")
        c.execute(f"INSERT INTO trend_series SELECT {columns} FROM merge_better")
        (written,) = c.execute("SELECT count(*) FROM merge_better").fetchone()
        prune(c)
        c.execute("DROP TABLE merge_better")
        return rows_read, written

    try:
        rows_read, written = in_transaction(con, combine)
    except duckdb.Error as exc:
        raise NewsalignError(f"merge failed: {exc}") from None
    return MergeReport(files=len(sources), rows_read=rows_read, written=written)


def _lake_series(con: duckdb.DuckDBPyConnection, alias: str, location: str) -> str:
    """The FROM clause of an attached shard's trend_series (a lake written by `enrich trends --out`)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = 'trend_series'", [alias]
    ).fetchone()[0]
    if not found:
        raise NewsalignError(
            f"{location} has no trend_series table: is it a warehouse written by `newsalign enrich trends --out`?"
        )
    return f"{alias}.trend_series"
