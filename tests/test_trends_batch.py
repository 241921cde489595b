"""Several topics per Trends request: the determinacy check, regrouping by measured level, request
counts, resume after a kill between rounds, --max-requests counting requests, and labels equal to
single requests'."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date

import pytest

from newsalign.enrich.trends.batch import groups, measure
from newsalign.enrich.trends.fetch import enrich_trends
from newsalign.enrich.trends.precision import Rules, outcomes, settled
from newsalign.enrich.trends.series import MonthlySeries, add_months
from newsalign.enrich.trends.store import Request
from newsalign.warehouse import connect
from tests.helpers import ROOT
from tests.trends_support import KILLER, TODAY, FakeBackend, add_articles, add_llm, flat, no_sleep


def ramp(level: float) -> list[int]:
    """Interest rising steadily from a fifth of `level` to `level` over ten years: no rule fires, far from ties."""
    return [round(level * (0.2 + 0.8 * m / 119)) for m in range(120)]


def series(values) -> MonthlySeries:
    return MonthlySeries(tuple(add_months(date(2014, 3, 1), i) for i in range(len(values))), tuple(values), (False,) * len(values))  # fmt: skip


def test_a_near_tie_is_unsettled_until_precise_and_a_clear_series_is_settled_when_coarse():
    rules = Rules()
    # flat interest: g5/g3 = 5/3, just above the thesis's 1.64; at 67 rounding could put it below
    assert outcomes(flat(67), rules) == (None, False) and not settled(series(flat(67)), (), rules)
    assert outcomes(flat(100), rules) == (True, False) and settled(series(flat(100)), (), rules)
    assert settled(series(ramp(40)), (), rules)  # far from every threshold: 40 is precise enough
    assert not settled(series(ramp(20)), (), rules)  # labels determined, but g3 only known to within ~6%
    assert outcomes(ramp(1), rules) == (None, None)  # zeros and ones: nothing is determined
    assert not settled(MonthlySeries(), (), rules)


def true_labels(x, rules):
    """The thesis and rising rules on unrounded values, as int_topics_growth computes them."""
    g = [100 * sum(x[-n:]) / max(x[-n:]) for n in (36, 60, 120)]
    thesis = g[1] >= rules.g5_over_g3 * g[0] - 1e-9 and g[2] >= rules.g10_over_g5 * g[1] - 1e-9
    n = rules.rise_months
    return thesis, sum(x[-n:]) >= (1 + rules.min_rise) * sum(x[-2 * n : -n]) - 1e-9


def test_a_settled_series_gives_the_labels_of_the_unrounded_values():
    rng, rules, checked = random.Random(3), Rules(), 0
    for _ in range(400):
        slope, scale = rng.choice([-0.5, -0.1, 0, 0.05, 0.4, 2]), rng.uniform(5, 100)
        x = [(1 + slope * m / 120) * rng.uniform(0.9, 1.1) for m in range(120)]
        rounded = [int(scale * v / max(x) + 0.5) for v in x]
        if settled(series(rounded), (), rules):
            checked += 1
            assert outcomes(rounded, rules) == true_labels(x, rules)
    assert 50 < checked < 400  # both kinds occur


def test_measure_chains_levels_through_the_most_precise_known_companion():
    answers = {"known": series([50] * 120), "weak": series([2] * 120), "new": series([100] * 120)}
    levels = measure(answers, {"known": 10.0, "weak": 1.0})
    assert levels == pytest.approx({"known": 10.0, "weak": 0.4, "new": 20.0})
    assert measure({"a": series([100]), "b": series([0])}, {}) == {"a": 100.0, "b": 0.25}  # none known: own scale


def test_groups_share_a_span_and_keep_companions_within_a_spread_of_levels():
    def request(topic, last):
        return Request(topic, "", "published", last, last, date(last.year - 10, last.month, 1), last)

    march = date(2024, 3, 1)
    todo = [request(f"m{i}", march) for i in range(6)] + [request("j", date(2026, 6, 1))]
    assert [[r.topic for r in b] for b in groups(todo, {"m5": 100.0, "m4": 80.0})] == [
        ["m5", "m4", "m0", "m1", "m2"],  # known levels first, unknown after
        ["m3"],
        ["j"],  # two years later: its own request
    ]
    levels = {"m0": 100.0, "m1": 30.0, "m2": 20.0, "m3": 4.0, "m4": 1.0, "m5": 0.5}
    assert [[r.topic for r in b] for b in groups(todo[:6], levels)] == [["m0", "m1"], ["m2"], ["m3", "m4"], ["m5"]]


# a0 and b0 are 100x the others: beside them the others round to 0 or 1. b4 is flat: near the thesis
# rule's tie, settled only at a single request's precision.
SERIES = {"a0": ramp(10000), "b0": ramp(10000), "a1": ramp(100), "a2": ramp(90), "a3": ramp(80), "a4": ramp(70)}
SERIES |= {"b1": ramp(60), "b2": ramp(50), "b3": ramp(45), "b4": flat(35)}
TOPICS = sorted(SERIES)
FIRST = [("a0", "a1", "a2", "a3", "a4"), ("b0", "b1", "b2", "b3", "b4")]
REGROUPED = [("a1", "a2", "a3", "a4", "b1"), ("b2", "b3", "b4")]  # by level measured in the first answers


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    add_articles(con, [{"id": "a"}, {"id": "b"}])
    add_llm(con, "a", TOPICS[:5], True)
    add_llm(con, "b", TOPICS[5:], False)
    yield con
    con.close()


def rows(con):
    return {
        topic: (status, companions, shared_peak, level)
        for topic, status, companions, shared_peak, level in con.execute(
            "SELECT topic, status, companions, shared_peak, level FROM trend_series"
        ).fetchall()
    }


def fetch(con, backend, **options):
    return enrich_trends(con, backend, today=TODAY, progress=False, sleep=no_sleep, terms_per_request=5, **options)


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_unsettled_topics_are_regrouped_by_measured_level_then_asked_alone(con):
    backend = FakeBackend(SERIES)
    report = fetch(con, backend)
    assert backend.requests == [*FIRST, *REGROUPED, ("b4",)]
    assert (report.requests_sent, report.regrouped, report.asked_alone, report.ok) == (5, 8, 1, 10)
    stored = rows(con)
    assert stored["a0"][:3] == ("ok", ["a1", "a2", "a3", "a4"], None)
    assert stored["a1"][:3] == ("ok", ["a2", "a3", "a4", "b1"], None)  # settled in its second, level-matched request
    assert stored["b4"][:3] == ("ok", [], 70)  # 35 beside b2's 50: a near tie still open, so asked alone
    # levels on one scale: a0 led its first request (100); a1 was 1 there, and the rest are chained through it
    levels = {t: r[3] for t, r in stored.items()}
    assert levels == pytest.approx(
        {"a0": 100, "b0": 100, "a1": 1, "a2": 0.9, "a3": 0.8, "a4": 0.7, "b1": 0.6, "b2": 1, "b3": 0.9, "b4": 0.7}
    )
    # new articles outside the stored range: a later run groups by the stored levels at once, b4 alone
    add_articles(con, [{"id": "c", "published": "2024-05-02"}])
    add_llm(con, "c", TOPICS, True)
    again = FakeBackend(SERIES)
    assert fetch(con, again, topics_per_article=10).regrouped == 0
    assert again.requests == [("a0", "b0"), ("a1", "b2", "a2", "b3", "a3"), ("a4", "b1"), ("b4",)]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_max_requests_counts_requests_and_a_rerun_resumes_the_rounds(con):
    report = fetch(con, FakeBackend(SERIES), max_requests=3)
    assert report.requests_sent == 3 and report.ok == 7 and "run again" in report.stopped
    assert {t: r[0] for t, r in rows(con).items() if r[0] != "ok"} == {"b2": "coarse", "b3": "coarse", "b4": "coarse"}
    rest = FakeBackend(SERIES)
    fetch(con, rest)
    assert rest.requests == [REGROUPED[1], ("b4",)]  # nothing stored is asked again
    assert {r[0] for r in rows(con).values()} == {"ok"}


@pytest.mark.slow
def test_killed_between_rounds_resumes_without_repaying_a_stored_request(con, db_path, tmp_path):
    con.close()
    log = tmp_path / "calls.log"
    script = KILLER.format(root=str(ROOT), log=str(log), db=str(db_path), terms=5, kill_at=2, series=SERIES)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    assert [line.split("|")[0] for line in log.read_text().splitlines()] == ["+".join(t) for t in FIRST]
    con = connect(db_path)
    assert {t: r[0] for t, r in rows(con).items()} == {"a0": "ok", "a1": "coarse", "a2": "coarse", "a3": "coarse", "a4": "coarse"}  # fmt: skip
    resumed = FakeBackend(SERIES)
    fetch(con, resumed)
    assert resumed.requests == [FIRST[1], *REGROUPED, ("b4",)]  # the a's regrouped from their stored levels
    assert {r[0] for r in rows(con).values()} == {"ok"} and con.execute("SELECT count(*) FROM trend_series").fetchone() == (10,)  # fmt: skip


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


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_batched_series_give_the_labels_of_single_requests(tmp_path):
    rng = random.Random(7)
    series = {}
    for n in range(40):  # levels over two decades; rising, falling, flat and seasonal shapes
        level, slope = 10 ** rng.uniform(1, 3), rng.choice([-0.6, -0.2, 0, 0.3, 1.2])
        series[f"t{n}"] = [
            max(0, round(level * (1 + slope * m / 131) * (1 + 0.2 * ((m % 12) in (10, 11))) * rng.uniform(0.9, 1.1)))
            for m in range(131)
        ]
    topics = sorted(series)
    articles = [(f"a{i}", f"2024-{1 + i % 6:02d}-15", rng.sample(topics, 3)) for i in range(30)]  # six months
    single = labels(tmp_path / "single", articles, series, terms=1)
    batched = labels(tmp_path / "batched", articles, series, terms=5)
    assert batched[0] == single[0] and batched[1] == single[1]  # thesis and rising labels
    assert len(single[0]) == 30
    assert batched[2].keys() == single[2].keys()
    for key, (g3, g5, g10) in single[2].items():
        assert batched[2][key] == pytest.approx((g3, g5, g10), rel=0.05), key
    assert batched[3] < single[3]
