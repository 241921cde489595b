"""Warehouse ingest: the store pipeline (batched Arrow upserts through the shared writer) vs a raw
DuckDB Arrow insert of the same rows; plus filter + dedup throughput, for information.

Rows: 100k synthetic articles built from the AG News texts (each made unique by a numbered suffix).
Goal: >= 50k articles/s through the store and within 2x of the raw insert.
"""

from __future__ import annotations

import copy
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq

from newsalign.crawler.config import crawl_settings
from newsalign.crawler.items import Article
from newsalign.pipeline.dedup import DedupPipeline
from newsalign.pipeline.dumps import open_dump
from newsalign.pipeline.filter import FilterPipeline
from newsalign.pipeline.normalize import NormalizePipeline
from newsalign.pipeline.store import StorePipeline
from newsalign.pipeline.writer import ARTICLE_COLUMNS, ARTICLE_SCHEMA, WarehouseWriter, _table
from newsalign.warehouse import connect

N = 100_000
FILTER_DEDUP_N = 10_000
AG_NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ag_news" / "test.csv"


def articles(n: int) -> list[Article]:
    """n normalized articles (content_hash and word_count set, as the store receives them)."""
    base = list(open_dump(AG_NEWS, source="ag_news").articles())
    normalize = NormalizePipeline()
    t0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        src = base[i % len(base)]
        item = Article(
            id="",
            source="ag_news",
            url=f"https://ag.test/{i}",
            title=src.title,
            date_published=t0 + timedelta(minutes=i),
            text=f"{src.text} ({i})",
            fetched_at=src.fetched_at,
        )
        out.append(normalize.process_item(item))
    return out


def store_rate(items: list[Article], db: Path) -> float:
    settings = crawl_settings(NEWSALIGN_DB=str(db))
    writer = WarehouseWriter(settings, spider="bench")
    store = StorePipeline(settings, writer)
    store.open_spider()
    start = time.perf_counter()
    for item in items:
        store.process_item(item)
    store.close_spider()
    elapsed = time.perf_counter() - start
    writer.close()
    return len(items) / elapsed


def raw_rate(items: list[Article], db: Path) -> float:
    con = connect(db)
    start = time.perf_counter()
    rows = [
        (
            a.id,
            a.source,
            a.url,
            a.title,
            a.date_published,
            a.text,
            a.authors,
            a.section,
            a.tags,
            a.language,
            a.fetched_at,
            a.page_type,
            a.content_hash,
            a.word_count,
            "raw",
        )
        for a in items
    ]
    rows_table = _table(rows, ARTICLE_SCHEMA)  # noqa: F841 (read by name in the SQL below)
    con.execute(f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) SELECT * FROM rows_table")
    elapsed = time.perf_counter() - start
    con.close()
    return len(items) / elapsed


def parquet_rate(items: list[Article], path: Path) -> float:
    """The floor for a lake: the same rows as one Arrow table written to one Parquet file."""
    start = time.perf_counter()
    rows = [tuple(getattr(a, name) for name in ARTICLE_COLUMNS[:-1]) + ("raw",) for a in items]
    pq.write_table(_table(rows, ARTICLE_SCHEMA), path)
    return len(items) / (time.perf_counter() - start)


def filter_dedup_rate(items: list[Article], db: Path) -> float:
    settings = crawl_settings(NEWSALIGN_DB=str(db), NEWSALIGN_MIN_WORDS=10)
    writer = WarehouseWriter(settings, spider="bench")
    filt, dedup = FilterPipeline(settings), DedupPipeline(settings, writer)
    dedup.open_spider()
    filt.process_item(copy.copy(items[0]))  # load the language model outside the timing
    start = time.perf_counter()
    for item in items:
        try:
            dedup.process_item(filt.process_item(item))
        except Exception:  # rejections are part of the work measured
            pass
    elapsed = time.perf_counter() - start
    writer.close()
    return len(items) / elapsed


def main() -> None:
    if not AG_NEWS.exists():
        print(f"skipped: needs {AG_NEWS}")
        return
    items = articles(N)
    _table([], ARTICLE_SCHEMA)  # pyarrow's one-time lazy imports, outside both timings
    with tempfile.TemporaryDirectory() as tmp:
        ours = store_rate(items, Path(tmp) / "ours")
        raw = raw_rate(items, Path(tmp) / "raw")
        parquet = parquet_rate(items, Path(tmp) / "articles.parquet")
        with connect(Path(tmp) / "ours", read_only=True) as lake:
            assert lake.execute("SELECT count(*) FROM articles").fetchone()[0] == N
        fd = filter_dedup_rate(items[:FILTER_DEDUP_N], Path(tmp) / "fd")
    batch = crawl_settings().getint("NEWSALIGN_STORE_BATCH")
    print(f"{N} articles, NEWSALIGN_STORE_BATCH={batch}")
    print(f"store pipeline (batched upserts): {ours:>10,.0f} articles/s   (goal >= 50,000)")
    print(f"raw Arrow insert into the lake:   {raw:>10,.0f} articles/s   ({raw / ours:.2f}x ours)")
    print(f"raw Parquet write (pyarrow):      {parquet:>10,.0f} articles/s")
    print(f"ratio Parquet/ours:               {parquet / ours:>10.2f}x        (goal <= 2x)")
    print(f"filter + dedup (info, {FILTER_DEDUP_N} items): {fd:>7,.0f} articles/s")


if __name__ == "__main__":
    main()
