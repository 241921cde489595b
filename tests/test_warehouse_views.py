"""SQL unit tests for v_articles_clean, v_rejects and v_crawl_stats (input rows -> expected rows); the
audits (warehouse/sql/tests/) on a warehouse the pipelines wrote; staging alone reads raw tables."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from newsalign.crawler.config import crawl_settings
from newsalign.crawler.items import Article
from newsalign.pipeline.chain import run_chain
from newsalign.warehouse import connect, db
from newsalign.warehouse.audits import run_audits

T0 = datetime(2024, 3, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    yield con
    con.close()


def insert_article(con, id, source, run_id="r1", url=None):
    con.execute(
        "INSERT INTO articles (id, source, url, title, date_published, text, authors, tags, fetched_at, page_type,"
        " content_hash, word_count, run_id) VALUES (?, ?, ?, 'T', ?, 'body text', ['A'], [], ?, 'article', ?, 2, ?)",
        [id, source, url or f"https://{source}.test/{id}", T0, T0, f"h-{id}", run_id],
    )


def insert_reject(con, source, stage, reason, run_id="r1"):
    con.execute(
        "INSERT INTO article_rejects (url, source, stage, reason, detail, run_id) VALUES (?, ?, ?, ?, '', ?)",
        [f"https://{source}.test/x", source, stage, reason, run_id],
    )


def test_v_articles_clean_one_row_per_article_with_the_training_columns(con):
    insert_article(con, "a1", "bbc")
    insert_article(con, "a2", "guardian")
    cols = [row[0] for row in con.execute("DESCRIBE v_articles_clean").fetchall()]
    assert cols[:13] == [
        "id",
        "source",
        "url",
        "title",
        "date_published",
        "text",
        "authors",
        "section",
        "tags",
        "language",
        "word_count",
        "content_hash",
        "fetched_at",
    ]
    assert con.execute(
        "SELECT id, source, url, text, authors, word_count FROM v_articles_clean ORDER BY id"
    ).fetchall() == [
        ("a1", "bbc", "https://bbc.test/a1", "body text", ["A"], 2),
        ("a2", "guardian", "https://guardian.test/a2", "body text", ["A"], 2),
    ]


def test_v_crawl_stats_per_source(con):
    con.execute(
        "INSERT INTO crawl_runs (run_id, spider, source, started, fetched) VALUES"
        " ('r1', 'bbc', 'bbc', ?, 10), ('r2', 'bbc', 'bbc', ?, 5), ('r3', 'import:x.csv', 'thesis', ?, 3)",
        [T0, T0 + timedelta(days=1), T0],
    )
    insert_article(con, "a1", "bbc")
    insert_article(con, "a2", "thesis", run_id="r3")
    for reason in ("too_short", "too_short", "language"):
        insert_reject(con, "bbc", "filter", reason)
    insert_reject(con, "bbc", "parse", "live_blog", run_id="r2")
    insert_reject(con, "guardian", "dedup", "near_duplicate", run_id=None)  # a source with rejects only
    got = con.execute(
        "SELECT source, runs, fetched, stored, rejected, rejected_by_reason, last_run FROM v_crawl_stats"
    ).fetchall()
    assert got == [
        (
            "bbc",
            2,
            15,
            1,
            4,
            {"filter/too_short": 2, "filter/language": 1, "parse/live_blog": 1},
            T0 + timedelta(days=1),
        ),
        ("guardian", 0, 0, 0, 1, {"dedup/near_duplicate": 1}, None),
        ("thesis", 1, 3, 1, 0, {}, T0),
    ]


def test_v_rejects_names_the_run(con):
    con.execute(
        "INSERT INTO crawl_runs (run_id, spider, source, started) VALUES ('r1', 'import:x.csv', 'thesis', ?)", [T0]
    )
    insert_reject(con, "thesis", "validate", "date_in_future")
    assert con.execute("SELECT stage_reason, spider FROM v_rejects").fetchall() == [
        ("validate/date_in_future", "import:x.csv")
    ]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_audits_return_no_rows_after_pipeline_runs(db_path):
    base = (
        "Shares of the chip maker jumped after it reported record quarterly revenue and raised its outlook for the year"
    )
    items = [
        Article(
            id="",
            source=src,
            url=f"https://{src}.test/{i}?utm_source=x",
            title=f"T{i}",
            date_published=T0 - timedelta(days=i),
            text=f"{base} {i}. " + " ".join(f"extra{i}word{j}" for j in range(i)),
        )
        for i, src in enumerate(["bbc", "guardian", "bbc", "reuters", "bbc", "guardian"])
    ]
    items += [items[0], items[1]]  # exact duplicates
    settings = crawl_settings(NEWSALIGN_DB=str(db_path), NEWSALIGN_MIN_WORDS=5, NEWSALIGN_STORE_BATCH=2)
    run_chain(items, settings, spider="audit")
    run_chain(items[::-1], settings, spider="audit")  # again, earliest first this time
    con = connect(db_path)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] >= 1
    assert run_audits(con) == {}


def test_only_staging_views_read_raw_tables(con):
    tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    readers = {
        file.relative_to(db.VIEWS_DIR).as_posix(): set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", file.read_text(), re.I))
        for file in db.view_files()
        if file.parent.name != "staging"
    }
    assert {file: read & tables for file, read in readers.items() if read & tables} == {}
