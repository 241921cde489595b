"""`newsalign merge` of separate lakes: two lakes crawled apart, merged into a third, hold what one lake
crawled with the same work holds; LLM answers are never duplicated; a second merge writes nothing."""

from __future__ import annotations

import subprocess

import pytest

from newsalign.cli import main
from newsalign.demo.server import serve_sample
from newsalign.jobs.in_turn import in_turn_command
from newsalign.warehouse import connect
from tests.helpers import ROOT, rows

pytestmark = pytest.mark.slow
SPLIT = (("bbc", "guardian"), ("techcrunch", "techradar"))
LIVE = "SELECT count(*) FROM articles WHERE superseded_by IS NULL"


def crawl(db, sites: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(in_turn_command(db, sites), cwd=ROOT, stderr=subprocess.PIPE, text=True)


def answer(db, cache_key: str, call_id: int) -> None:
    with connect(db) as con:
        con.execute(
            "INSERT INTO llm_calls (call_id, cache_key, article_id, content_hash, model, prompt_version, mode,"
            " status, flags, request) VALUES (?, ?, 'a', 'h', 'm', 'v1', 'live', 'ok', [], '{}')",
            [call_id, cache_key],
        )


def test_two_lakes_merged_equal_one_lake_that_did_the_same_work(tmp_path, capsys):
    one, first, second, target = (tmp_path / n for n in ("one", "first", "second", "target"))
    with serve_sample(tuple(s for part in SPLIT for s in part)) as sites:
        crawls = [crawl(one, sites)] + [
            crawl(db, {s: sites[s] for s in part}) for db, part in zip((first, second), SPLIT)
        ]
        for process in crawls:
            assert process.wait(timeout=600) == 0, process.stderr.read()[-3000:]
    answer(first, "k1", 1)
    answer(second, "k1", 2)  # the same question answered in both lakes: kept once
    answer(second, "k2", 3)
    connect(target).close()
    assert main(["merge", str(first), str(second), "--db", str(target)]) == 0
    out = capsys.readouterr().out
    assert rows(target, LIVE) == rows(one, LIVE)  # near-duplicates across the lakes settled as in one lake
    stored = sum(rows(db, "SELECT count(*) FROM articles")[0][0] for db in (first, second))
    assert f"articles: {stored} rows read, {stored} written" in out
    assert rows(target, "SELECT cache_key, count(*) FROM llm_calls GROUP BY 1 ORDER BY 1") == [("k1", 1), ("k2", 1)]
    runs = rows(first, "SELECT count(*) FROM crawl_runs")[0][0] + rows(second, "SELECT count(*) FROM crawl_runs")[0][0]
    assert rows(target, "SELECT count(*), count(DISTINCT run_id) FROM crawl_runs") == [(runs, runs)]
    assert rows(target, "SELECT count(*) FROM article_rejects") == [
        (
            rows(first, "SELECT count(*) FROM article_rejects")[0][0]
            + rows(second, "SELECT count(*) FROM article_rejects")[0][0],
        )
    ]
    before = {
        t: rows(target, f"SELECT count(*) FROM {t}") for t in ("articles", "article_rejects", "crawl_runs", "llm_calls")
    }
    assert main(["merge", str(first), str(second), "--db", str(target)]) == 0  # again: nothing new
    again = capsys.readouterr().out
    assert all(line.endswith(" 0 written") or "0 written (" in line for line in again.splitlines()), again
    assert before == {t: rows(target, f"SELECT count(*) FROM {t}") for t in before}


def test_merging_a_missing_lake_is_one_line(tmp_path, capsys):
    connect(tmp_path / "target").close()
    assert main(["merge", str(tmp_path / "nowhere"), "--db", str(tmp_path / "target")]) == 1
    assert "no such shard to merge" in capsys.readouterr().err


def test_a_near_duplicate_stored_long_before_in_the_target_is_settled_by_the_merge(tmp_path, capsys):
    from datetime import datetime, timedelta, timezone

    from newsalign.crawler.config import crawl_settings
    from newsalign.crawler.items import Article
    from newsalign.pipeline.chain import run_chain

    body = " ".join(f"The regulator fined the lender for mis-selling loans in region {i} last year." for i in range(12))
    day = datetime(2024, 5, 1, tzinfo=timezone.utc)

    def store(db, url: str, text: str, published: datetime) -> None:
        item = Article(id="", source="bbc", url=url, title="Lender fined", date_published=published, text=text)
        run_chain([item], crawl_settings(NEWSALIGN_DB=str(db), NEWSALIGN_MIN_WORDS=10), spider="bbc")

    target, other = tmp_path / "target", tmp_path / "other"
    store(target, "https://www.bbc.co.uk/news/fine-1", body, day)  # stored before the other lake's run began
    store(other, "https://www.bbc.co.uk/news/fine-2", body + " The lender said it would appeal.", day + timedelta(1))
    assert main(["merge", str(other), "--db", str(target)]) == 0
    assert "1 merged articles superseded by near-duplicates already stored" in capsys.readouterr().out
    assert rows(target, "SELECT url FROM articles WHERE superseded_by IS NULL") == [
        ("https://www.bbc.co.uk/news/fine-1",)
    ]
    assert rows(target, "SELECT count(*) FROM article_rejects WHERE detail LIKE '%when the lakes were merged'") == [
        (1,)
    ]
