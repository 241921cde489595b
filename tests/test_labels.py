"""Label views as SQL unit tests: rows into articles, llm_calls and trend_series, expected labels out."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from sklearn.metrics import cohen_kappa_score

from newsalign.warehouse import connect
from newsalign.warehouse.audits import run_audits
from tests.trends_support import add_articles, add_llm, add_series, flat

MARCH = date(2024, 3, 1)  # the publication month of add_articles' default date


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    yield con
    con.close()


def segments(g3: int, g5: int, g10: int) -> list[int]:
    """120 monthly values whose raw window sums are g3, g5, g10, with a 100 in the last 36 months
    (so every window's peak is 100 and rescaling changes nothing)."""

    def spread(total, n):
        q, r = divmod(total, n)
        assert 0 <= q and q + (r > 0) <= 100
        return [q + 1] * r + [q] * (n - r)

    return spread(g10 - g5, 60) + spread(g5 - g3, 24) + [100] + spread(g3 - 100, 35)


def article(con, id, topics, *, gpt=False, published="2024-03-15", source="bbc"):
    add_articles(con, [{"id": id, "published": published, "source": source}])
    add_llm(con, id, topics, gpt)


def set_param(con, name, value):
    con.execute("UPDATE label_params SET value = ? WHERE name = ?", [str(value), name])


def label(con, view, id):
    row = con.execute(f"SELECT trend_signal FROM {view} WHERE id = ?", [id]).fetchone()
    return None if row is None else row[0]


def signals(con) -> dict:
    return dict(con.execute("SELECT id, signal FROM v_signal").fetchall())


def test_thesis_rule_fires_at_exact_thresholds_and_not_below(con):
    cases = {
        "tie": segments(2500, 4100, 7790),  # g5 = 1.64 g3, g10 = 1.9 g5 exactly
        "g5_short": segments(2500, 4099, 7790),
        "g10_short": segments(2500, 4100, 7789),
    }
    for name, values in cases.items():
        add_series(con, name, MARCH, values)
        article(con, name, [name])
    growth = {r[0]: r[1:] for r in con.execute("SELECT topic, g3, g5, g10 FROM v_growth").fetchall()}
    assert growth["tie"] == (2500, 4100, 7790)
    assert label(con, "v_trend_signal", "tie") is True
    assert label(con, "v_trend_signal", "g5_short") is False
    assert label(con, "v_trend_signal", "g10_short") is False


def test_thesis_rule_fires_for_flat_and_falling_interest_and_not_for_a_recent_rise(con):
    # Read literally, g5 >= 1.64 g3 asks years 4-5 to average >= 0.96x the last three years' monthly
    # interest: flat or falling interest passes, a recent rise fails. v_trend_rising is the opposite.
    falling_to_zero = [50] * 84 + [0] * 36  # g3 = 0 takes the "or g3 = 0" branch
    rising = [10] * 108 + [40] * 12
    for name, values in {"flat": flat(), "falling": falling_to_zero, "rising": rising}.items():
        add_series(con, name, MARCH, values)
        article(con, name, [name])
    assert [label(con, "v_trend_signal", n) for n in ("flat", "falling", "rising")] == [True, True, False]
    assert [label(con, "v_trend_rising", n) for n in ("flat", "falling", "rising")] == [False, False, True]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_zero_series_is_scored_but_never_fires_and_empty_series_is_not_scored(con):
    add_series(con, "zeros", MARCH, [0] * 120)
    add_series(con, "nodata", MARCH, None)  # Trends has no data for the topic
    add_series(con, "flat", MARCH, flat())
    article(con, "z", ["zeros"])
    article(con, "n", ["nodata"])
    article(con, "zf", ["zeros", "flat"])
    assert con.execute("SELECT g3, g5, g10 FROM v_growth WHERE topic = 'zeros'").fetchone() == (0, 0, 0)
    scored = dict(con.execute("SELECT id, topics_scored FROM v_trend_signal").fetchall())
    assert scored == {"z": 1, "n": 0, "zf": 2}
    assert label(con, "v_trend_signal", "z") is False
    assert label(con, "v_trend_signal", "n") is False
    assert label(con, "v_trend_rising", "z") is False
    set_param(con, "topic_combiner", "majority")  # 1 of 2 scored topics: not a majority
    assert label(con, "v_trend_signal", "zf") is False


def test_pending_topics_keep_an_article_out_until_fetched(con):
    add_series(con, "flat", MARCH, flat())
    add_series(con, "failed", MARCH, flat(), status="error")  # an error row counts as not fetched
    article(con, "p", ["flat", "missing"], gpt=True)
    article(con, "e", ["failed"], gpt=True)
    assert label(con, "v_trend_signal", "p") is None
    assert signals(con) == {}
    set_param(con, "signal_combiner", "gpt")
    assert signals(con) == {"p": True, "e": True}
    set_param(con, "signal_combiner", "or")
    add_series(con, "missing", MARCH, [0] * 120)
    assert signals(con) == {"p": True}


def test_only_the_first_topics_per_article_are_scored(con):
    add_series(con, "zeros", MARCH, [0] * 120)
    add_series(con, "flat", MARCH, flat())
    article(con, "few", ["flat", "zeros"])  # fewer than five topics: both scored
    article(con, "many", ["zeros"] * 5 + ["flat"])  # the firing topic is sixth
    assert label(con, "v_trend_signal", "few") is True
    assert label(con, "v_trend_signal", "many") is False
    set_param(con, "topics_per_article", 6)
    assert label(con, "v_trend_signal", "many") is True


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_any_versus_majority(con):
    add_series(con, "up", MARCH, flat())
    add_series(con, "zero", MARCH, [0] * 120)
    article(con, "1of3", ["up", "zero", "zero"])
    article(con, "2of3", ["up", "up", "zero"])
    article(con, "2of4", ["up", "up", "zero", "zero"])
    assert {i: label(con, "v_trend_signal", i) for i in ("1of3", "2of3", "2of4")} == {
        "1of3": True,
        "2of3": True,
        "2of4": True,
    }
    set_param(con, "topic_combiner", "majority")
    assert {i: label(con, "v_trend_signal", i) for i in ("1of3", "2of3", "2of4")} == {
        "1of3": False,
        "2of3": True,
        "2of4": False,
    }


@pytest.mark.parametrize(
    "combiner, expected",
    [
        ("or", {"gt": True, "g": True, "t": True, "none": False}),
        ("and", {"gt": True, "g": False, "t": False, "none": False}),
        ("gpt", {"gt": True, "g": True, "t": False, "none": False}),
        ("trend", {"gt": True, "g": False, "t": True, "none": False}),
    ],
)
def test_signal_combiners(con, combiner, expected):
    add_series(con, "up", MARCH, flat())
    add_series(con, "zero", MARCH, [0] * 120)
    article(con, "gt", ["up"], gpt=True)
    article(con, "g", ["zero"], gpt=True)
    article(con, "t", ["up"], gpt=False)
    article(con, "none", ["zero"], gpt=False)
    set_param(con, "signal_combiner", combiner)
    assert signals(con) == expected
    sources = dict(con.execute("SELECT id, label_source FROM v_signal").fetchall())
    assert sources["none"] == "none"
    assert sources["gt"] == {"or": "both", "and": "both", "gpt": "gpt", "trend": "trend"}[combiner]


def test_trend_rule_parameter_picks_the_trend_label_of_v_signal(con):
    add_series(con, "flat", MARCH, flat())
    article(con, "a", ["flat"])
    assert con.execute("SELECT trend_signal, label_rule FROM v_signal").fetchone() == (
        True,
        "or of gpt, trend:thesis/any",
    )
    set_param(con, "trend_rule", "rising")
    assert con.execute("SELECT trend_signal, label_rule FROM v_signal").fetchone() == (
        False,
        "or of gpt, trend:rising/any",
    )


def test_rising_rule_ties_and_a_start_from_zero(con):
    add_series(con, "tie", MARCH, [0] * 96 + [50] * 12 + [60] * 12)  # 60 = 1.2 × 50 exactly
    add_series(con, "short", MARCH, [0] * 96 + [50] * 12 + [59] * 12)
    add_series(con, "new", MARCH, [0] * 108 + [5] * 12)  # nothing before, something now
    for name in ("tie", "short", "new"):
        article(con, name, [name])
    assert [label(con, "v_trend_rising", n) for n in ("tie", "short", "new")] == [True, False, True]
    set_param(con, "min_rise", "0.25")
    assert label(con, "v_trend_rising", "tie") is False


def test_partial_last_month_is_left_out_unless_asked(con):
    add_series(con, "p", MARCH, [50] * 119 + [5], partial_last=True)
    article(con, "a", ["p"])
    assert con.execute("SELECT months, g3 FROM v_growth").fetchone() == (119, 3600)
    set_param(con, "include_partial", "true")
    assert con.execute("SELECT months, g3 FROM v_growth").fetchone() == (120, 100 * (35 * 50 + 5) / 50)


def test_window_rescale_emulates_separate_requests(con):
    values = [100] * 60 + [50] * 60  # the peak lies outside the 3- and 5-year windows
    add_series(con, "s", MARCH, values)
    article(con, "a", ["s"])
    assert con.execute("SELECT g3, g5, g10 FROM v_growth").fetchone() == (3600, 6000, 9000)
    set_param(con, "window_rescale", "false")
    assert con.execute("SELECT g3, g5, g10 FROM v_growth").fetchone() == (1800, 3000, 9000)


def test_fetch_anchor_uses_the_newest_fetch_series_for_every_article(con):
    add_series(con, "t", date(2025, 1, 1), [0] * 120, anchor="fetch")
    add_series(con, "t", date(2025, 6, 1), flat(), anchor="fetch")
    article(con, "old", ["t"], published="2019-05-01")
    article(con, "new", ["t"], published="2025-02-01")
    assert label(con, "v_trend_signal", "old") is None  # no published-anchored series
    set_param(con, "anchor", "fetch")
    assert label(con, "v_trend_signal", "old") is True
    assert label(con, "v_trend_signal", "new") is True


def test_published_anchor_matches_the_publication_month_and_geo(con):
    add_series(con, "t", MARCH, flat())
    add_series(con, "t", date(2024, 4, 1), [0] * 120)
    add_series(con, "t", MARCH, [0] * 120, geo="US")
    article(con, "mar", ["t"], published="2024-03-31")
    article(con, "apr", ["t"], published="2024-04-01")
    article(con, "nodate", ["t"], published=None)
    assert [label(con, "v_trend_signal", i) for i in ("mar", "apr", "nodate")] == [True, False, None]
    set_param(con, "geo", "US")
    assert [label(con, "v_trend_signal", i) for i in ("mar", "apr")] == [False, None]


def test_one_series_serves_each_article_with_windows_ending_before_its_own_month(con):
    # One series for articles of March to June 2024: 120 months of 10 before March, then a jump to 100
    # in March, April and May. Each article may read only the months before its publication month.
    values = [10] * 120 + [100] * 3
    add_series(con, "t", date(2024, 6, 1), values, first_anchor_month=MARCH)
    for id, published in (("mar", "2024-03-31"), ("apr", "2024-04-01"), ("jun", "2024-06-15"), ("jul", "2024-07-01")):
        article(con, id, ["t"], published=published)
    growth = {r[0]: r[1:] for r in con.execute("SELECT id, status, months, g3, recent_mean FROM v_growth").fetchall()}
    assert growth["mar"] == ("ok", 120, 3600, 10)  # March's 100 is not seen
    assert growth["apr"] == ("ok", 120, 100 * (35 * 10 + 100) / 100, (11 * 10 + 100) / 12)
    assert growth["jun"] == ("ok", 120, 100 * (33 * 10 + 300) / 100, (9 * 10 + 300) / 12)
    assert growth["jul"] == ("pending", None, None, None)  # no series covers July
    assert [label(con, "v_trend_rising", i) for i in ("mar", "apr", "jun")] == [
        False,
        True,
        True,
    ]  # April sees March's jump
    set_param(con, "window_rescale", "false")
    assert con.execute("SELECT g3 FROM v_growth WHERE id = 'jun'").fetchone() == (33 * 10 + 300,)


def test_the_newest_series_covering_a_month_wins(con):
    add_series(con, "t", MARCH, [0] * 120)  # an older one-month row (as before one row per topic)
    add_series(con, "t", date(2024, 4, 1), flat(121), first_anchor_month=MARCH)
    con.execute("UPDATE trend_series SET fetched_at = fetched_at + INTERVAL 1 DAY WHERE anchor_month = '2024-04-01'")
    article(con, "mar", ["t"], published="2024-03-02")
    assert label(con, "v_trend_signal", "mar") is True


def test_empty_topic_list_has_no_trend_label(con):
    article(con, "a", [], gpt=True)
    assert label(con, "v_trend_signal", "a") is None
    assert signals(con) == {}
    set_param(con, "signal_combiner", "gpt")
    assert signals(con) == {"a": True}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_label_stats_rates_and_kappa(con):
    for month in (MARCH, date(2024, 4, 1)):
        add_series(con, "up", month, flat())
        add_series(con, "zero", month, [0] * 120)
    gpt = [1, 1, 1, 0, 0, 0, 0, 0, 1, 0]
    trend = [1, 0, 0, 1, 0, 0, 0, 0, 1, 1]
    for i, (g, t) in enumerate(zip(gpt, trend)):
        article(
            con,
            f"a{i}",
            ["up" if t else "zero"],
            gpt=bool(g),
            source="bbc" if i < 6 else "guardian",
            published="2024-03-15" if i % 2 else "2024-04-15",
        )
    rows = {(r[0], r[1]): r for r in con.execute("SELECT * FROM v_label_stats").fetchall()}
    columns = [d[0] for d in con.execute("SELECT * FROM v_label_stats").description]
    overall = dict(zip(columns, rows[("all", None)]))
    assert overall["articles"] == 10
    assert overall["gpt_rate"] == pytest.approx(0.4)
    assert overall["trend_rate"] == pytest.approx(0.4)
    assert overall["union_rate"] == pytest.approx(0.6)
    assert overall["both_rate"] == pytest.approx(0.2)
    assert overall["kappa"] == pytest.approx(cohen_kappa_score(gpt, trend))
    assert {k for k in rows} == {
        ("all", None),
        ("source", "bbc"),
        ("source", "guardian"),
        ("month", "2024-03"),
        ("month", "2024-04"),
    }
    bbc = dict(zip(columns, rows[("source", "bbc")]))
    assert bbc["kappa"] == pytest.approx(cohen_kappa_score(gpt[:6], trend[:6]))


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_v_signal_keys_are_unique_and_not_null(con):
    add_series(con, "up", MARCH, flat())
    for i in range(5):
        article(con, f"a{i}", ["up", "up", "other"] if i % 2 else ["up"], gpt=bool(i % 3))
    add_series(con, "other", MARCH, None)
    failures = run_audits(con)  # warehouse/sql/tests/v_signal__*.sql
    assert {name: rows for name, rows in failures.items() if name.startswith("v_signal__")} == {}
    assert len(signals(con)) == 5


def test_a_bad_parameter_fails_with_its_name(con):
    add_series(con, "up", MARCH, flat())
    article(con, "a", ["up"])
    set_param(con, "trend_rule", "magic")
    with pytest.raises(duckdb.Error, match="label_params.trend_rule must be thesis or rising, not magic"):
        con.execute("SELECT * FROM v_signal").fetchall()
    set_param(con, "trend_rule", "thesis")
    con.execute("DELETE FROM label_params WHERE name = 'min_rise'")
    with pytest.raises(duckdb.Error, match="label_params.min_rise must be a number >= 0, not missing"):
        con.execute("SELECT * FROM stg_label_params").fetchall()
