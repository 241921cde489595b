"""`enrich trends`: one request per (topic, geo) spanning its articles, extended for new articles, 429 backoff and stop, resume after a kill,
--max-requests, shards and merge, the CLI."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest

from newsalign.cli import main
from newsalign.core.errors import NewsalignError
from newsalign.core.shards import in_shard, parse_shard
from newsalign.enrich.trends.fetch import enrich_trends
from newsalign.enrich.trends.store import merge
from newsalign.warehouse import connect
from tests.helpers import ROOT
from tests.trends_support import KILLER, TODAY, FakeBackend, add_articles, add_llm, flat, no_sleep


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    # Three articles in March, one in April: "batteries" in March is shared by two articles.
    add_articles(
        con, [{"id": "a"}, {"id": "b"}, {"id": "c", "published": "2024-04-02"}, {"id": "d", "published": None}]
    )
    add_llm(
        con, "a", ["Solid-state batteries", "batteries", "energy", "EVs", "cars", "industry", "x", "y", "z", "w"], True
    )
    add_llm(con, "b", ["batteries", "  Energy "], False)
    add_llm(con, "c", ["batteries"], False)
    add_llm(con, "d", ["no date"], False)
    yield con
    con.close()


MARCH, APRIL = date(2024, 3, 1), date(2024, 4, 1)
SPANS = {  # topic: (first, last) publication month served; first five topics of a, both of b (normalised), c's
    "solid-state batteries": (MARCH, MARCH),
    "batteries": (MARCH, APRIL),
    "energy": (MARCH, MARCH),
    "evs": (MARCH, MARCH),
    "cars": (MARCH, MARCH),
}
EXPECTED_KEYS = {(t, last) for t, (_, last) in SPANS.items()}  # (topic, anchor_month)


def stored(con):
    return {(t, m): s for t, m, s in con.execute("SELECT topic, anchor_month, status FROM trend_series").fetchall()}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_one_request_per_topic_and_geo_spanning_all_its_articles(con):
    backend = FakeBackend({"energy": None})
    report = enrich_trends(con, backend, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep)
    # ten years before the topic's first publication month to the end of the month before its last
    expected = {(t, date(f.year - 10, f.month, 1), last - timedelta(days=1)) for t, (f, last) in SPANS.items()}
    assert {c[:3] for c in backend.calls} == expected
    assert ("batteries", date(2014, 3, 1), date(2024, 3, 31)) in expected  # March and April articles, one request
    assert len(backend.calls) == len(SPANS) == report.requests_sent == report.planned
    assert stored(con)[("energy", MARCH)] == "empty"  # a topic without Trends data
    assert (report.ok, report.empty) == (4, 1)
    ranges = con.execute("SELECT topic, first_anchor_month, anchor_month FROM trend_series").fetchall()
    assert {t: (f, last) for t, f, last in ranges} == SPANS
    again = FakeBackend()
    assert enrich_trends(con, again, today=TODAY, terms_per_request=1, progress=False).requests_sent == 0
    assert again.calls == []


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_new_articles_outside_the_stored_range_refetch_the_whole_span(con):
    enrich_trends(con, FakeBackend(), today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep)
    add_articles(
        con,
        [
            {"id": "may", "published": "2024-05-20"},
            {"id": "jan", "published": "2024-01-03"},
            {"id": "apr", "published": "2024-04-30"},
        ],
    )
    add_llm(con, "may", ["batteries"], False)  # after the stored range: extend it
    add_llm(con, "jan", ["cars"], False)  # before the stored range: extend it back
    add_llm(con, "apr", ["batteries"], False)  # inside the stored range: nothing to fetch
    backend = FakeBackend()
    report = enrich_trends(con, backend, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep)
    assert sorted(c[:3] for c in backend.calls) == [
        ("batteries", date(2014, 3, 1), date(2024, 4, 30)),
        ("cars", date(2014, 1, 1), date(2024, 2, 29)),
    ]
    assert report.planned == len(SPANS)
    rows = con.execute(
        "SELECT topic, first_anchor_month, anchor_month FROM trend_series WHERE topic IN ('batteries', 'cars')"
    ).fetchall()
    assert sorted(rows) == [
        ("batteries", MARCH, date(2024, 5, 1)),
        ("cars", date(2024, 1, 1), MARCH),
    ]  # replaced, not added


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_failed_extension_keeps_the_stored_series(con, tmp_path):
    from newsalign.enrich.trends.backends import CsvBackend

    enrich_trends(con, FakeBackend(), today=TODAY, progress=False, sleep=no_sleep)
    add_articles(con, [{"id": "jan", "published": "2024-01-03"}])
    add_llm(con, "jan", ["cars"], False)  # extends cars back to January: same key (last month March)
    report = enrich_trends(con, CsvBackend(tmp_path), today=TODAY, progress=False)
    assert report.errors == 1
    assert con.execute("SELECT status, first_anchor_month FROM trend_series WHERE topic = 'cars'").fetchall() == [
        ("ok", MARCH)
    ]
    retry = FakeBackend()
    enrich_trends(con, retry, today=TODAY, progress=False, sleep=no_sleep)
    assert [c[0] for c in retry.calls] == ["cars"]  # still needed, asked again


def test_fetch_anchor_asks_once_per_topic(con):
    backend = FakeBackend()
    enrich_trends(con, backend, anchor="fetch", today=TODAY, progress=False, sleep=no_sleep)
    topics = [c[0] for c in backend.calls]
    assert sorted(topics) == sorted({t for t, _ in EXPECTED_KEYS} | {"no date"})
    assert {(c[1], c[2]) for c in backend.calls} == {(date(2015, 6, 1), TODAY)}


def test_429_backs_off_with_jitter_then_succeeds(con):
    sleeps = []
    backend = FakeBackend(rate_limit={"batteries": 3})
    enrich_trends(
        con,
        backend,
        today=TODAY,
        progress=False,
        sleep=sleeps.append,
        backoff=10,
        backoff_cap=25,
    )
    backoffs = [s for s in sleeps if s > 0]  # the fake's delay between requests is 0
    assert len(backoffs) == 3 and len(set(backoffs)) == 3  # jittered
    assert backoffs[0] <= 10 and backoffs[1] <= 20 and backoffs[2] <= 25  # doubling, capped at 25
    assert len(stored(con)) == len(EXPECTED_KEYS)


def test_429_storm_stops_after_max_retries_with_advice(con):
    sleeps = []
    backend = FakeBackend(rate_limit={"batteries": 99})  # "batteries" is the first key in sorted order
    with pytest.raises(NewsalignError) as raised:
        enrich_trends(
            con, backend, today=TODAY, terms_per_request=1, progress=False, sleep=sleeps.append, max_retries=10
        )
    message = str(raised.value)
    assert "Google Trends answered 429 (too many requests) 11 times in a row at 'batteries'" in message
    assert "Wait an hour, lower --max-requests" in message and "--backend csv" in message
    assert len(backend.calls) == 11 and len([s for s in sleeps if s > 0]) == 10
    assert stored(con) == {}


def test_429_storm_after_progress_keeps_earlier_answers(con):
    backend = FakeBackend(rate_limit={"evs": 99})  # sorted topics: batteries, cars, energy, evs, ...
    with pytest.raises(NewsalignError, match="the 3 answers of this run are stored"):
        enrich_trends(con, backend, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep, max_retries=1)
    assert len(stored(con)) == 3


def test_max_requests_stops_cleanly_and_a_rerun_continues(con):
    first = FakeBackend()
    report = enrich_trends(con, first, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep, max_requests=2)
    assert report.requests_sent == 2 and report.left == 3 and "run again" in report.stopped
    second = FakeBackend()
    enrich_trends(con, second, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep)
    assert len(second.calls) == 3 and not {c[:2] for c in first.calls} & {c[:2] for c in second.calls}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_failed_topic_is_recorded_and_retried_next_run(con, tmp_path):
    from newsalign.enrich.trends.backends import CsvBackend

    report = enrich_trends(con, CsvBackend(tmp_path), today=TODAY, progress=False)
    assert report.errors == 5 and "no CSV export for" in report.error_examples[0]
    assert set(stored(con).values()) == {"error"}
    retry = FakeBackend()
    enrich_trends(con, retry, today=TODAY, progress=False, sleep=no_sleep)
    assert len(retry.calls) == 5 and set(stored(con).values()) == {"ok"}


def test_no_topics_is_a_clear_error(db_path):
    con = connect(db_path)
    add_articles(con, [{"id": "a"}])
    add_llm(con, "a", [], True)  # an empty topic list
    with pytest.raises(NewsalignError, match="no article topics to look up: run `newsalign enrich llm` first"):
        enrich_trends(con, FakeBackend(), today=TODAY, progress=False)


@pytest.mark.slow
def test_killed_mid_run_resumes_without_duplicates_or_losses(con, db_path, tmp_path):
    con.close()
    log = tmp_path / "calls.log"
    script = KILLER.format(root=str(ROOT), log=str(log), db=str(db_path), terms=1, kill_at=4, series={})
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    con = connect(db_path)
    assert len(stored(con)) == 3  # the three answered before the kill survive
    before = [tuple(line.split("|")) for line in log.read_text().splitlines()]
    resumed = FakeBackend()
    enrich_trends(con, resumed, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep)
    after = [(t, s.isoformat()) for t, s, _, _ in resumed.calls]
    assert len(after) == 2 and not set(before[:3]) & set(after)  # only the killed one and the rest are asked
    assert before[3] in after
    assert len(stored(con)) == len(EXPECTED_KEYS)


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_shards_split_topics_disjointly_and_merge_combines_them(con, db_path, tmp_path):
    outs = []
    asked = []
    for i in (1, 2, 3):
        out = connect(tmp_path / f"shard{i}")
        backend = FakeBackend()
        enrich_trends(con, backend, out=out, shard=(i, 3), today=TODAY, progress=False, sleep=no_sleep)
        asked.append({c[0] for c in backend.calls})
        out.close()
        outs.append(tmp_path / f"shard{i}")
    assert sum(len(a) for a in asked) == len(set().union(*asked))  # every topic in exactly one shard
    assert stored(con) == {}  # shards wrote to their own files
    report = merge(con, outs)
    assert report.written == len(EXPECTED_KEYS) and set(stored(con)) == EXPECTED_KEYS
    assert merge(con, outs).written == 0  # idempotent


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_merge_of_overlapping_shards_prefers_answers_then_newest(con, tmp_path):
    old, new = connect(tmp_path / "old"), connect(tmp_path / "new")
    enrich_trends(
        con, FakeBackend(default=[0] * 120), out=old, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep
    )
    enrich_trends(
        con, FakeBackend(default=flat()), out=new, today=TODAY, terms_per_request=1, progress=False, sleep=no_sleep
    )
    old.execute("UPDATE trend_series SET status = 'error', error = 'x' WHERE topic = 'cars'")
    old.execute("UPDATE trend_series SET fetched_at = fetched_at + INTERVAL 1 DAY WHERE topic = 'evs'")
    old.close(), new.close()
    parquet = tmp_path / "old.parquet"
    src = connect(tmp_path / "old", read_only=True)
    src.execute(f"COPY trend_series TO '{parquet}' (FORMAT parquet)")
    src.close()
    merge(con, [parquet, tmp_path / "new"])
    levels = dict(con.execute("SELECT topic || anchor_month, interest[1] FROM trend_series").fetchall())
    assert levels["evs2024-03-01"] == 0  # newer in old
    assert levels["cars2024-03-01"] == 100  # answer beats error (flat, scaled to its peak)
    assert levels["energy2024-03-01"] == 100  # newer in new
    assert merge(con, [tmp_path / "new", parquet]).written == 0


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_merging_an_extended_shard_series_replaces_the_narrower_one(con, tmp_path):
    enrich_trends(con, FakeBackend(), today=TODAY, progress=False, sleep=no_sleep)
    add_articles(con, [{"id": "may", "published": "2024-05-20"}])
    add_llm(con, "may", ["batteries"], False)
    out = connect(tmp_path / "shard")
    backend = FakeBackend()
    enrich_trends(con, backend, out=out, today=TODAY, progress=False, sleep=no_sleep)
    out.close()
    assert [c[0] for c in backend.calls] == ["batteries"]
    assert merge(con, [tmp_path / "shard"]).written == 1
    rows = con.execute("SELECT first_anchor_month, anchor_month FROM trend_series WHERE topic = 'batteries'").fetchall()
    assert rows == [(MARCH, date(2024, 5, 1))]


def test_merge_rejects_files_that_are_not_shards(con, tmp_path):
    plain = tmp_path / "plain"
    with connect(plain) as lake:
        lake.execute("DROP TABLE trend_series")
    with pytest.raises(NewsalignError, match="has no trend_series table"):
        merge(con, [plain])
    with pytest.raises(NewsalignError, match="no such shard"):
        merge(con, [tmp_path / "missing"])
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name LIKE 'shard%'").fetchone() == (0,)


@pytest.mark.parametrize("text", ["3", "0/4", "5/4", "a/b", "1/0", "1-4"])
def test_bad_shard_syntax(text):
    with pytest.raises(NewsalignError, match="--shard must be i/N with 1 <= i <= N"):
        parse_shard(text)


def test_shard_hash_is_stable():
    assert parse_shard(" 2/4 ") == (2, 4)
    assert [in_shard("bitcoin", (i, 4)) for i in (1, 2, 3, 4)].count(True) == 1
    owner = [i for i in (1, 2, 3, 4) if in_shard("bitcoin", (i, 4))]
    assert owner == [int.from_bytes(__import__("hashlib").blake2b(b"bitcoin", digest_size=8).digest(), "big") % 4 + 1]


def test_cli_csv_backend_end_to_end(con, db_path, tmp_path, capsys):
    con.close()
    exports = tmp_path / "exports"
    exports.mkdir()
    rows = "\n".join(f"{2013 + i // 12}-{i % 12 + 1:02d},{50}" for i in range(144))
    (exports / "multiTimeline.csv").write_text(f"Category: All categories\n\nMonth,batteries: (Worldwide)\n{rows}\n")
    code = main(["enrich", "trends", "--db", str(db_path), "--backend", "csv", "--csv-dir", str(exports)])
    captured = capsys.readouterr()
    assert code == 0
    assert (
        "5 series needed, 5 requests sent (0 topics asked again by level, 0 alone): 1 stored, 0 without Trends data, 4 failed"
        in captured.out
    )
    assert "no CSV export for" in captured.err
    con = connect(db_path)
    # batteries: one series from March 2014 to March 2024 serves its March and April articles
    assert con.execute("SELECT len(interest) FROM trend_series WHERE status = 'ok'").fetchall() == [(121,)]


def test_cli_errors_are_one_line(db_path, capsys):
    connect(db_path).close()
    assert main(["enrich", "trends", "--db", str(db_path), "--shard", "5/4"]) == 2  # Click's exit for bad usage
    assert (
        capsys.readouterr().err.strip() == "Error: --shard must be i/N with 1 <= i <= N (e.g. --shard 2/4), not '5/4'"
    )
    assert main(["enrich", "trends", "--db", str(db_path), "--backend", "csv"]) == 1
    assert "--backend csv needs --csv-dir" in capsys.readouterr().err
    assert main(["merge", "--db", str(db_path), str(db_path) + ".missing"]) == 1
    assert "no such shard" in capsys.readouterr().err
