"""Several topics per Trends request: grouping, the coarse answer asked again alone, resume after a
kill between the two, --max-requests counting requests, and labels equal to single requests'."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date

import pytest

from newsalign.enrich.trends.batch import groups
from newsalign.enrich.trends.fetch import enrich_trends
from newsalign.enrich.trends.store import Request
from newsalign.warehouse import connect
from tests.conftest import ROOT
from tests.test_trends import KILLER, TODAY, no_sleep
from tests.trends_support import FakeBackend, add_articles, add_llm, flat

TOPICS = ["alpha", "beta", "gamma", "delta", "tiny"]
LEVELS = {"alpha": flat(900), "beta": flat(600), "gamma": flat(500), "delta": flat(400), "tiny": flat(20)}


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    add_articles(con, [{"id": "a"}, {"id": "b"}])
    add_llm(con, "a", TOPICS[:3], True)
    add_llm(con, "b", TOPICS[3:], False)
    yield con
    con.close()


def rows(con):
    return {
        topic: (status, companions, shared_peak, interest[0] if interest else None)
        for topic, status, companions, shared_peak, interest in con.execute(
            "SELECT topic, status, companions, shared_peak, interest FROM trend_series"
        ).fetchall()
    }


def test_five_topics_in_one_request_and_a_coarse_one_asked_again_alone(con):
    backend = FakeBackend(LEVELS)
    report = enrich_trends(con, backend, today=TODAY, progress=False, sleep=no_sleep, terms_per_request=5)
    assert backend.requests == [("alpha", "beta", "delta", "gamma", "tiny"), ("tiny",)]
    assert (report.requests_sent, report.asked_alone, report.ok) == (2, 1, 5)
    stored = rows(con)
    assert stored["beta"] == ("ok", ["alpha", "delta", "gamma", "tiny"], None, 67)  # 600/900, on the shared scale
    assert stored["tiny"] == ("ok", [], 2, 100)  # 20/900 → 2 in the shared answer: asked alone
    # articles outside the stored range: tiny, known to be coarse beside the others, is asked alone at once
    add_articles(con, [{"id": "c", "published": "2024-05-02"}])
    add_llm(con, "c", TOPICS, True)
    again = FakeBackend(LEVELS)
    assert (
        enrich_trends(con, again, today=TODAY, progress=False, sleep=no_sleep, terms_per_request=5).requests_sent == 2
    )
    assert again.requests == [("alpha", "beta", "gamma", "delta"), ("tiny",)]  # by stored level


def test_max_requests_counts_requests_not_topics(con):
    report = enrich_trends(
        con, FakeBackend(LEVELS), today=TODAY, progress=False, sleep=no_sleep, terms_per_request=5, max_requests=1
    )
    assert report.requests_sent == 1 and report.ok == 4 and "run again" in report.stopped
    assert rows(con)["tiny"][:3] == ("coarse", ["alpha", "beta", "delta", "gamma"], 2)
    rest = FakeBackend(LEVELS)
    enrich_trends(con, rest, today=TODAY, progress=False, sleep=no_sleep, terms_per_request=5)
    assert rest.requests == [("tiny",)] and rows(con)["tiny"] == ("ok", [], 2, 100)


def test_killed_between_the_shared_and_the_lone_request_resumes_with_the_lone_one(con, db_path, tmp_path):
    con.close()
    log = tmp_path / "calls.log"
    script = KILLER.format(root=str(ROOT), log=str(log), db=str(db_path), terms=5, kill_at=2, series=LEVELS)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    assert [line.split("|")[0] for line in log.read_text().splitlines()] == ["alpha+beta+delta+gamma+tiny", "tiny"]
    con = connect(db_path)
    assert {t: r[0] for t, r in rows(con).items()} == {t: "coarse" if t == "tiny" else "ok" for t in TOPICS}
    resumed = FakeBackend(LEVELS)
    enrich_trends(con, resumed, today=TODAY, progress=False, sleep=no_sleep, terms_per_request=5)
    assert resumed.requests == [("tiny",)]  # only the request in flight is sent again
    assert rows(con)["tiny"] == ("ok", [], 2, 100) and con.execute("SELECT count(*) FROM trend_series").fetchone() == (
        5,
    )


def test_groups_share_a_span_and_put_known_coarse_topics_alone():
    def request(topic, last):
        return Request(topic, "", "published", last, last, date(last.year - 10, last.month, 1), last)

    march, june = date(2024, 3, 1), date(2024, 6, 1)
    todo = [request(f"m{i}", march) for i in range(6)] + [request("j", date(2026, 6, 1)), request("low", june)]
    batches = groups(todo, {"low": (True, 3), "m5": (False, 100), "m4": (False, 80)})
    assert [[r.topic for r in b] for b in batches] == [["m5", "m4", "m0", "m1", "m2"], ["m3"], ["j"], ["low"]]


def labels(db_path, articles, series, terms):
    con = connect(db_path)
    add_articles(con, [{"id": a, "published": p} for a, p, _ in articles])
    for article_id, _, topics in articles:
        add_llm(con, article_id, topics, True)
    backend = FakeBackend(series)
    enrich_trends(con, backend, today=TODAY, progress=False, sleep=no_sleep, terms_per_request=terms)
    thesis = dict(con.execute("SELECT id, trend_signal FROM v_trend_signal").fetchall())
    rising = dict(con.execute("SELECT id, trend_signal FROM v_trend_rising").fetchall())
    growth = {
        (i, t): (g3, g5, g10)
        for i, t, g3, g5, g10 in con.execute(
            "SELECT id, topic, g3, g5, g10 FROM v_growth WHERE status = 'ok'"
        ).fetchall()
    }
    con.close()
    return thesis, rising, growth, len(backend.requests)


def test_batched_then_refined_series_give_the_labels_of_single_requests(tmp_path):
    rng = random.Random(7)
    series = {}
    for n in range(40):  # levels over two decades; rising, falling, flat and seasonal shapes
        level, slope = 10 ** rng.uniform(1, 3), rng.choice([-0.6, -0.2, 0, 0.3, 1.2])
        series[f"t{n}"] = [
            max(0, round(level * (1 + slope * m / 131) * (1 + 0.2 * ((m % 12) in (10, 11))) * rng.uniform(0.9, 1.1)))
            for m in range(131)
        ]
    topics = sorted(series)
    articles = [
        (f"a{i}", f"2024-{1 + i % 6:02d}-15", rng.sample(topics, 3)) for i in range(30)
    ]  # six months of articles
    single = labels(tmp_path / "single.duckdb", articles, series, terms=1)
    batched = labels(tmp_path / "batched.duckdb", articles, series, terms=5)
    assert batched[0] == single[0] and batched[1] == single[1]  # thesis and rising labels
    assert len(single[0]) == 30
    assert batched[2].keys() == single[2].keys()
    for key, (g3, g5, g10) in single[2].items():
        assert batched[2][key] == pytest.approx((g3, g5, g10), rel=0.05), key
    assert batched[3] < single[3]
