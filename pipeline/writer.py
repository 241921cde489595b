"""One warehouse writer per crawl (or import): the single DuckDB connection every pipeline and the
run recorder share, its write buffers, and the run's `crawl_runs` row.

Writes are buffered and flushed as one transaction per batch (articles via Arrow, their MinHash
fingerprints, superseded articles marked, rejects), every `NEWSALIGN_STORE_BATCH` items, every
`NEWSALIGN_STORE_FLUSH_SECONDS`, and at the end. What a flush committed survives a crash or Ctrl-C;
articles are upserted by `id` (rows with a batch id are deleted, then the batch inserted, in the same
transaction), so a re-run never duplicates. Other processes write the same lake at once: a flush
that loses a commit race is retried whole (`warehouse.in_transaction`). Any other failure to write (the
PostgreSQL catalog gone, a disk full) stops the crawl with one logged line: what was committed stays,
the rest is re-fetched by the next run, which marks this one `interrupted` (see `_mark_interrupted`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import types
import typing
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone

import duckdb
import pyarrow as pa
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro

from newsalign import warehouse
from newsalign.core.minhash import THRESHOLD
from newsalign.core.secrets import scrub
from newsalign.core.text import encodable
from newsalign.crawler.items import Article
from newsalign.pipeline.dedup import settle
from newsalign.pipeline.rejects import Reject

logger = logging.getLogger(__name__)

# Arrow types of the `Article` fields; the schema below is derived from the item (the migrations'
# `articles` table must agree with it: tests/test_schema.py checks the two).
_ARROW = {
    str: pa.string(),
    int: pa.int32(),
    datetime: pa.timestamp("us", tz="UTC"),
    list[str]: pa.list_(pa.string()),
}


def _arrow_field(name: str, hint) -> pa.Field:
    args = [a for a in typing.get_args(hint) if a is not type(None)] if isinstance(hint, types.UnionType) else [hint]
    return pa.field(name, _ARROW[args[0]])


ARTICLE_SCHEMA = pa.schema(
    [_arrow_field(f.name, typing.get_type_hints(Article)[f.name]) for f in fields(Article)]
    + [pa.field("run_id", pa.string())]
)
ARTICLE_COLUMNS = ARTICLE_SCHEMA.names
_URL, _SOURCE = ARTICLE_COLUMNS.index("url"), ARTICLE_COLUMNS.index("source")
REJECT_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
    ]
)
FINGERPRINT_SCHEMA = pa.schema([("id", pa.string()), ("minhash", pa.list_(pa.uint64()))])
SUPERSEDE_SCHEMA = pa.schema([("id", pa.string()), ("superseded_by", pa.string())])


@dataclass
class RunReport:
    """What one run did: `counts` maps "stage/reason" to the number of items rejected for it."""

    run_id: str
    spider: str
    stored: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        head = f"run {self.run_id} ({self.spider}): {self.stored} stored, {self.rejected} rejected"
        return [head] + [
            f"  {key:<32} {n:>8}" for key, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]


class WarehouseWriter:
    """Buffers articles, fingerprints and rejects of one run and writes them in batched transactions."""

    def __init__(self, settings: BaseSettings, *, spider: str | None = None, source: str | None = None, crawler=None):
        self.settings = settings
        self.spider = spider
        self.source = source
        self._crawler = crawler
        self.batch_size = max(1, settings.getint("NEWSALIGN_STORE_BATCH", 10_000))
        self.flush_seconds = settings.getfloat("NEWSALIGN_STORE_FLUSH_SECONDS", 30.0)
        self.con = None
        self.run_id: str | None = None
        self.counts: Counter[str] = Counter()
        self._articles: dict[str, tuple] = {}
        self._fingerprints: dict[str, list[int]] = {}
        self._superseded: dict[str, str] = {}  # stored id -> the id of the copy kept
        self._rejects: list[tuple] = []
        self._last_flush = time.monotonic()
        self._committed = 0  # articles stored by this run's flushes
        self.lost: str | None = None  # why the warehouse cannot be written any more (the crawl stops)

    # --- lifecycle ------------------------------------------------------------------------------
    def open(self) -> None:
        """Connect (migrating if needed) and insert this run's `crawl_runs` row. Idempotent."""
        if self.con is not None:
            return
        if self.spider is None:
            self.spider = self._crawler.spider.name
        if self.source is None and not self.spider.startswith("import:"):
            self.source = self.spider
        self.con = warehouse.connect(self.settings.get("NEWSALIGN_DB"))
        self.run_id = uuid.uuid4().hex[:16]
        _mark_interrupted(self.con)
        row = [self.run_id, scrub(self.spider), self.source, _now(), socket.gethostname(), os.getpid()]
        warehouse.retry(
            lambda: self.con.execute(
                "INSERT INTO crawl_runs (run_id, spider, source, started, host, pid) VALUES (?, ?, ?, ?, ?, ?)", row
            )
        )

    def finish(self, status: str, fetched: int | None) -> RunReport:
        """Flush everything, complete the `crawl_runs` row, close the connection; log and return the report."""
        self.open()
        self.flush()
        if self.lost:
            return self._give_up(status)
        stored = self._settle() if self._committed else 0  # a run that stored nothing has nothing to settle
        report = RunReport(self.run_id, self.spider, stored, sum(self.counts.values()), dict(self.counts))
        values = [_now(), status, fetched, report.stored, report.rejected, json.dumps(report.counts, sort_keys=True)]
        warehouse.retry(
            lambda: self.con.execute(
                "UPDATE crawl_runs SET finished = ?, status = ?, fetched = ?, stored = ?, rejected = ?, counts = ?"
                " WHERE run_id = ?",
                [*values, self.run_id],
            )
        )
        self.close()
        for line in report.lines():
            logger.info(line)
        return report

    def _settle(self) -> int:
        """Settle this run's articles against those other runs stored meanwhile (`dedup.settle`); how many of
        its articles stand."""
        settled = settle(self.con, self.run_id, self.settings.getfloat("NEWSALIGN_NEAR_DUP_THRESHOLD", THRESHOLD))
        if settled:
            self.counts["dedup/superseded"] += settled
        [(stored,)] = self.con.execute(
            "SELECT count(*) FROM articles WHERE run_id = ? AND superseded_by IS NULL", [self.run_id]
        ).fetchall()
        return stored

    def _give_up(self, status: str) -> RunReport:
        """The end of a run whose warehouse stopped accepting writes: its `crawl_runs` row cannot be
        completed (the next run marks it `interrupted`); report what its flushes committed."""
        self.close()
        report = RunReport(self.run_id, self.spider, self._committed, sum(self.counts.values()), dict(self.counts))
        logger.warning(
            f"run {self.run_id} ({self.spider}) {status}, not recorded: {report.stored} stored before the warehouse failed"
        )
        return report

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    # --- buffered writes --------------------------------------------------------------------------
    def add_article(self, row: tuple) -> None:
        """Queue one article row (values in `ARTICLE_COLUMNS` order, run_id last and left None)."""
        self._articles[row[0]] = row[:-1] + (self.run_id,)
        self._superseded.pop(row[0], None)
        self._maybe_flush()

    def add_fingerprint(self, article_id: str, minhash: list[int]) -> None:
        """Queue the MinHash of an article that is on its way to the store."""
        self._fingerprints[article_id] = minhash

    def retract(
        self, article_id: str, *, by: str, url: str | None, source: str | None, reason: str, detail: str
    ) -> None:
        """Give up an accepted article for the copy `by`, and record why (stage `dedup`): still buffered, it
        is never stored; stored, it is marked `superseded_by`, not deleted (what used it stays reachable)."""
        if self._articles.pop(article_id, None) is not None:
            self._fingerprints.pop(article_id, None)
        else:
            self._superseded[article_id] = by
        self._reject(url, source, "dedup", reason, detail)

    def record_drop(self, item, exception: DropItem) -> None:
        """Record a dropped item. The one place rejects are recorded, for crawls and imports alike."""
        get = item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)
        url, source = get("url"), get("source")
        stage, reason, detail = (
            (exception.stage, exception.reason, exception.detail)
            if isinstance(exception, Reject)
            else ("pipeline", "dropped", str(exception))  # a DropItem from a pipeline that is not ours
        )
        if url is None and get("title"):  # rows without a URL (some imports): the title says which row it was
            detail = f"{detail} [title: {str(get('title'))[:100]}]".lstrip()
        self._reject(url, source, stage, reason, detail)

    def record_failure(self, url: str, source: str | None, reason: str, detail: str) -> None:
        """Record a request that never became a page (stage `download`), e.g. an offsite link."""
        self._reject(url, source, "download", reason, detail)

    def _reject(self, url, source, stage: str, reason: str, detail: str) -> None:
        self._record_reject(url, source, stage, reason, detail)
        self._maybe_flush()

    def _record_reject(self, url, source, stage: str, reason: str, detail: str) -> None:
        self.counts[f"{stage}/{reason}"] += 1
        row = (_text(scrub(url)), _text(source), stage, reason, _text(scrub(detail)), _now(), self.run_id)
        self._rejects.append(row)  # a URL or an error may carry a password or a key: scrubbed like every stored text

    def _maybe_flush(self) -> None:
        pending = len(self._articles) + len(self._rejects)
        if pending >= self.batch_size or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        self._last_flush = time.monotonic()
        if self.lost or not (self._articles or self._rejects or self._superseded):
            return
        self.open()
        try:
            batch = self._batch()
        except (pa.ArrowException, UnicodeError):
            self._reject_unencodable()  # one poison row must not block the batch (or every later one)
            batch = self._batch()
        con = self.con
        try:
            for name, table in batch.items():
                con.register(name, table)
            try:
                warehouse.in_transaction(con, lambda c: _write(c, set(batch)))
            finally:
                for name in batch:
                    con.unregister(name)
        except duckdb.Error as exc:
            self._stop(exc)
            return
        self._committed += len(self._articles)
        for article_id in self._articles:
            self._fingerprints.pop(article_id, None)
        self._articles.clear()
        self._rejects.clear()
        self._superseded.clear()

    def _stop(self, exc: duckdb.Error) -> None:
        """The warehouse refused a flush for a reason other than a commit race: log it once, drop the
        buffers (never stored: the next run fetches them again) and stop the crawl."""
        where = warehouse.resolve_lake(self.settings.get("NEWSALIGN_DB")).where
        self.lost = scrub(" ".join(str(exc).split()))
        logger.error(
            f"cannot write to the warehouse {where}, stopping the crawl (what was stored stays; run the same "
            f"command again to resume): {self.lost[:300]}"
        )
        self._articles.clear()
        self._fingerprints.clear()
        self._rejects.clear()
        self._superseded.clear()
        if self._crawler is not None and self._crawler.engine is not None:
            deferred_from_coro(self._crawler.engine.close_spider_async(reason="failed"))

    def _batch(self) -> dict[str, pa.Table]:
        """The non-empty buffers as Arrow tables, by the names the SQL in `_write` reads."""
        rows = {
            "batch_articles": (list(self._articles.values()), ARTICLE_SCHEMA),
            "batch_fingerprints": (
                [(i, self._fingerprints[i]) for i in self._articles if i in self._fingerprints],
                FINGERPRINT_SCHEMA,
            ),
            "batch_rejects": (self._rejects, REJECT_SCHEMA),
            "batch_superseded": (sorted(self._superseded.items()), SUPERSEDE_SCHEMA),
        }
        return {name: _table(r, schema) for name, (r, schema) in rows.items() if r}

    def _reject_unencodable(self) -> None:
        """Move every article row that Arrow cannot encode (e.g. a lone surrogate) to the rejects."""
        for article_id, row in list(self._articles.items()):
            try:
                _table([row], ARTICLE_SCHEMA)
            except (pa.ArrowException, UnicodeError) as exc:
                del self._articles[article_id]
                self._fingerprints.pop(article_id, None)
                self._record_reject(row[_URL], row[_SOURCE], "store", "unencodable", str(exc)[:300])


def check_warehouse(settings: BaseSettings) -> None:
    """The crawl's preflight (NEWSALIGN_PREFLIGHT): its warehouse opens (created and migrated if new), or a
    WarehouseError says why, before any request; the writer's own open then reuses this process's DuckDB."""
    warehouse.connect(settings.get("NEWSALIGN_DB")).close()


def _mark_interrupted(con) -> None:
    """Mark `interrupted` the unfinished runs of this machine whose process is gone (killed, or
    stopped when the warehouse failed: neither could record its end)."""
    runs = con.execute(
        "SELECT run_id, pid FROM crawl_runs WHERE finished IS NULL AND status IS NULL AND host = ?",
        [socket.gethostname()],
    ).fetchall()
    gone = [run_id for run_id, pid in runs if not _alive(pid)]
    if gone:
        warehouse.retry(
            lambda: con.execute(
                "UPDATE crawl_runs SET status = 'interrupted' WHERE status IS NULL AND list_contains(?, run_id)",
                [gone],
            )
        )


def _alive(pid: int | None) -> bool:
    if pid is None or pid == os.getpid():  # our own pid on an unfinished run: an earlier process's, reused
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _write(con, batch: set[str]) -> None:
    """The registered `batch` tables (see `WarehouseWriter._batch`; only the non-empty ones: on a lake
    every statement costs a catalog round trip), inside the caller's transaction. DuckLake has no key
    constraint: rows whose id the batch stores again (a re-run, a batch replayed after a crash) are
    deleted first, so each id stays one row. Dedup keeps stored ids out of the store, so usually none
    is there: one check (a scan of the id columns) spares the DELETEs, which cost several times more."""
    keyed = [
        (t, b)
        for t, b in (("articles", "batch_articles"), ("article_fingerprints", "batch_fingerprints"))
        if b in batch
    ]
    if keyed:
        checks = ", ".join(f"EXISTS (SELECT 1 FROM {t} WHERE id IN (SELECT id FROM {b}))" for t, b in keyed)
        for (table, name), stored in zip(keyed, con.execute(f"SELECT {checks}").fetchone()):
            if stored:
                con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {name})")
    if "batch_superseded" in batch:
        con.execute(
            "UPDATE articles SET superseded_by = s.superseded_by FROM batch_superseded AS s WHERE articles.id = s.id"
        )
    for table, name in (
        ("articles", "batch_articles"),
        ("article_fingerprints", "batch_fingerprints"),
        ("article_rejects", "batch_rejects"),
    ):
        if name in batch:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")


def _table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    """Rows (tuples in schema order) to an Arrow table, column by column."""
    columns = list(zip(*rows)) if rows else [()] * len(schema)
    return pa.Table.from_arrays([pa.array(c, type=t) for c, t in zip(columns, schema.types)], schema=schema)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _text(value) -> str | None:
    """A string the warehouse can store: lone surrogates (from a hostile page) become U+FFFD."""
    if value is None:
        return None
    return encodable(value if isinstance(value, str) else str(value))
