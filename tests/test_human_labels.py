"""human_labels and the views over it, as SQL unit tests: decisions in through the review write path,
people's labels, v_signal's override and the kappas of v_label_stats out (checked against sklearn and by hand)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from sklearn.metrics import cohen_kappa_score

from newsalign.review.store import ArticleGone, ReviewError, record_decision, undo_last
from newsalign.warehouse import connect
from newsalign.warehouse.audits import run_audits
from tests.trends_support import add_articles, add_llm, add_series, flat


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    yield con
    con.close()


def decide(con, article_id, annotator, decision, queue="gold"):
    return record_decision(con, article_id=article_id, annotator=annotator, decision=decision, queue=queue, seconds=1.5)


def human(con) -> dict:
    return {
        row[0]: row[1:]
        for row in con.execute("SELECT id, signal, annotators, agreement, gold FROM v_human_signal").fetchall()
    }


def stats(con, breakdown="all", value=None) -> dict:
    cursor = con.execute(
        "SELECT * FROM v_label_stats WHERE breakdown = ? AND value IS NOT DISTINCT FROM ?", [breakdown, value]
    )
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone()))


def test_majority_of_standing_answers_ties_left_out(con):
    add_articles(con, [{"id": i} for i in "abcde"])
    decide(con, "a", "ann", "signal")
    decide(con, "a", "bob", "signal")
    decide(con, "a", "cat", "not")
    decide(con, "b", "ann", "signal")
    decide(con, "b", "bob", "not")  # a tie: no label
    decide(con, "c", "ann", "skip")  # only a skip: no label
    decide(con, "d", "ann", "not", queue="disagree")
    decide(con, "d", "ann", "signal", queue="disagree")  # the latest answer stands
    decide(con, "e", "ann", "signal")
    assert undo_last(con, annotator="ann", queue="gold") == "e"  # taken back: no label
    assert human(con) == {"a": (True, 3, pytest.approx(2 / 3), True), "d": (True, 1, 1.0, False)}
    assert con.execute("SELECT count(*) FROM human_labels").fetchone() == (9,)  # undo keeps the row, marked
    assert con.execute("SELECT count(*) FROM human_labels WHERE undone_at IS NOT NULL").fetchone() == (1,)


def test_undo_walks_back_one_decision_at_a_time_per_queue(con):
    add_articles(con, [{"id": i} for i in "ab"])
    decide(con, "a", "ann", "signal")
    decide(con, "b", "ann", "not", queue="disagree")
    assert undo_last(con, annotator="bob", queue="gold") is None
    assert undo_last(con, annotator="ann", queue="gold") == "a"
    assert undo_last(con, annotator="ann", queue="gold") is None
    assert human(con) == {"b": (False, 1, 1.0, False)}


def test_a_gone_article_records_nothing_and_says_why(con):
    add_articles(con, [{"id": "a"}, {"id": "b"}])
    con.execute("UPDATE articles SET superseded_by = 'b' WHERE id = 'a'")
    with pytest.raises(ArticleGone, match="article a was superseded by b"):
        decide(con, "a", "ann", "signal")
    with pytest.raises(ArticleGone, match="article zz is no longer in the lake"):
        decide(con, "zz", "ann", "signal")
    with pytest.raises(ReviewError, match="decision must be one of signal, not, skip, not 'maybe'"):
        decide(con, "b", "ann", "maybe")
    assert con.execute("SELECT count(*) FROM human_labels").fetchone() == (0,)


def test_superseded_after_the_decision_drops_out_of_the_labels(con):
    add_articles(con, [{"id": "a"}, {"id": "b"}])
    decide(con, "a", "ann", "signal")
    con.execute("UPDATE articles SET superseded_by = 'b' WHERE id = 'a'")
    assert human(con) == {}


def labelled(con, id, *, gpt, trend, source="bbc"):
    add_articles(con, [{"id": id, "source": source}])
    add_llm(con, id, ["up" if trend else "zero"], gpt)


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_v_signal_takes_the_human_answer_unless_ignored(con):
    add_series(con, "up", date(2024, 3, 1), flat())
    add_series(con, "zero", date(2024, 3, 1), [0] * 120)
    labelled(con, "a", gpt=False, trend=False)
    labelled(con, "b", gpt=True, trend=False)
    add_articles(con, [{"id": "c"}])  # no automated label at all
    decide(con, "a", "ann", "signal")
    decide(con, "c", "ann", "not")
    rows = {r[0]: r[1:] for r in con.execute("SELECT id, signal, label_source, label_rule FROM v_signal").fetchall()}
    assert rows == {
        "a": (True, "human", "human over or of gpt, trend:thesis/any"),
        "b": (True, "gpt", "or of gpt, trend:thesis/any"),
        "c": (False, "human", "human over no automated label"),
    }
    con.execute("UPDATE label_params SET value = 'ignore' WHERE name = 'human_labels'")
    rows = {r[0]: r[1:3] for r in con.execute("SELECT id, signal, label_source FROM v_signal").fetchall()}
    assert rows == {"a": (False, "none"), "b": (True, "gpt")}
    failures = run_audits(con)
    assert {name: r for name, r in failures.items() if name.startswith(("v_signal", "v_human", "human_"))} == {}


def test_a_bad_human_labels_setting_fails_with_its_name(con):
    con.execute("UPDATE label_params SET value = 'sometimes' WHERE name = 'human_labels'")
    with pytest.raises(duckdb.Error, match="label_params.human_labels must be override or ignore, not sometimes"):
        con.execute("SELECT * FROM v_signal").fetchall()


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_label_stats_compare_people_with_each_labeller_and_with_each_other(con):
    add_series(con, "up", date(2024, 3, 1), flat())
    add_series(con, "zero", date(2024, 3, 1), [0] * 120)
    gpt = [1, 1, 0, 0, 1, 0, 0, 0]
    trend = [1, 0, 0, 1, 0, 0, 1, 0]
    ann = [1, 1, 0, 0, 0, 0, 1, 1]
    bob = [1, 0, 0, 0, 0, 1, 1, 1]  # answers the first six; disagrees with ann on a1 and a5
    for i, (g, t) in enumerate(zip(gpt, trend)):
        labelled(con, f"a{i}", gpt=bool(g), trend=bool(t), source="bbc" if i < 4 else "guardian")
        decide(con, f"a{i}", "ann", "signal" if ann[i] else "not")
        if i < 6:
            decide(con, f"a{i}", "bob", "signal" if bob[i] else "not")
    # people's label: ann and bob agree on a0 a2 a3 a4 (1 0 0 0); a1 and a5 tie and are left out; a6 a7 ann alone (1 1)
    people = {0: 1, 2: 0, 3: 0, 4: 0, 6: 1, 7: 1}
    overall = stats(con)
    assert overall["human_articles"] == 6
    assert overall["human_gpt_n"] == 6
    assert overall["human_gpt_agreement"] == pytest.approx(3 / 6)  # a0 a2 a3 agree
    truth, g_of = list(people.values()), [gpt[i] for i in people]
    assert overall["human_gpt_kappa"] == pytest.approx(cohen_kappa_score(truth, g_of))
    # by hand: p_o = 3/6; p(human)=3/6, p(gpt)=2/6; p_e = 1/2*1/3 + 1/2*2/3 = 1/2; kappa = 0
    assert overall["human_gpt_kappa"] == pytest.approx(0.0)
    t_of = [trend[i] for i in people]
    assert overall["human_trend_kappa"] == pytest.approx(cohen_kappa_score(truth, t_of))
    auto = [max(gpt[i], trend[i]) for i in people]  # the thesis's or
    assert overall["human_auto_agreement"] == pytest.approx(sum(a == b for a, b in zip(truth, auto)) / 6)
    assert overall["human_auto_kappa"] == pytest.approx(cohen_kappa_score(truth, auto))
    assert overall["inter_annotator_n"] == 6
    assert overall["inter_annotator_agreement"] == pytest.approx(4 / 6)
    # by hand: p_o = 4/6; p(ann)=2/6, p(bob)=2/6; p_e = 1/9 + 4/9 = 5/9; kappa = (6/9 - 5/9) / (4/9) = 0.25
    assert overall["inter_annotator_kappa"] == pytest.approx(0.25)
    assert overall["inter_annotator_kappa"] == pytest.approx(cohen_kappa_score(ann[:6], bob[:6]))
    bbc = stats(con, "source", "bbc")
    assert bbc["inter_annotator_kappa"] == pytest.approx(cohen_kappa_score(ann[:4], bob[:4]))
    assert bbc["articles"] == 4 and bbc["human_articles"] == 3
