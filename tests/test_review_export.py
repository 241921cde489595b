"""Exports from people's decisions: `--test-from gold` (the test split is exactly the gold-labelled
articles, with the people's labels, no near-duplicate of them in train or validation) and DPO pairs whose
chosen answer is the person's."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from newsalign.cli import cli
from newsalign.review.queues import draw_gold
from newsalign.review.store import record_decision
from newsalign.warehouse import connect
from tests.review_support import demo_like_lake
from tests.trends_support import add_articles, add_llm


@pytest.fixture
def lake(db_path):
    """The demo-like lake, two annotators' gold answers on six articles (one tie), a copy of a gold article."""
    con = connect(db_path)
    demo_like_lake(con)
    draw_gold(con, seed=2)
    answers = {
        "bbc-01": ("signal", "signal"),
        "bbc-02": ("not", None),
        "guardian-01": ("signal", "not"),
        "guardian-03": ("not", "not"),
        "techcrunch-01": ("signal", None),
        "bbc-05": ("skip", None),
    }
    for article_id, said in answers.items():
        for annotator, decision in zip(("ann", "bob"), said):
            if decision:
                record_decision(con, article_id=article_id, annotator=annotator, decision=decision, queue="gold")
    record_decision(con, article_id="bbc-07", annotator="ann", decision="signal", queue="disagree")  # not gold
    add_articles(con, [{"id": "bbc-copy", "title": "bbc story 1 again"}])
    add_llm(con, "bbc-copy", ["quiet topic"], True)
    con.execute("UPDATE articles SET content_hash = 'hash-bbc-01' WHERE id = 'bbc-copy'")  # the same text as a gold one
    con.execute("UPDATE llm_calls SET content_hash = 'hash-bbc-01' WHERE article_id = 'bbc-copy'")
    assert con.execute("SELECT count(*) FROM v_signal WHERE id = 'bbc-copy'").fetchone() == (1,)
    con.close()
    return db_path


# people's labels: bbc-01 yes (2-0), bbc-02 no, guardian-03 no (2-0), techcrunch-01 yes; guardian-01 ties, bbc-05 a skip
GOLD = {"bbc-01": True, "bbc-02": False, "guardian-03": False, "techcrunch-01": True}


def export(lake, tmp_path, *args) -> dict:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["export", "dpo", "--out", str(out), "--db", str(lake), "--format", "jsonl", *args]
    )
    assert result.exit_code == 0, result.output
    return {name: pd.read_json(out / f"{name}.jsonl", lines=True) for name in ("train", "validation", "test")}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_test_from_gold_is_exactly_the_gold_set_with_the_people_labels(lake, tmp_path):
    parts = export(lake, tmp_path, "--test-from", "gold", "--validation-size", "0.2")
    test = parts["test"]
    assert dict(zip(test["id"], test["label"])) == GOLD
    assert all(test["chosen"] == test["label"].map({True: " Yes", False: " No"}))
    others = set(parts["train"]["id"]) | set(parts["validation"]["id"])
    assert not others & set(GOLD)
    assert "bbc-copy" not in others  # a copy of a gold article stays out of training
    assert set(parts["train"]["id"]) & set(parts["validation"]["id"]) == set()
    assert len(others) == 20 + 1 - len(GOLD) - 1  # every other labelled article is used
    card = pd.read_json(tmp_path / "out" / "card.json", typ="series")
    assert card["gold"] == {"test_from": "gold", "gold_articles": 4, "near_duplicates_of_gold_dropped": ["bbc-copy"]}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_dpo_pairs_from_people_only(lake, tmp_path):
    parts = export(lake, tmp_path, "--label", "v_human_signal", "--test-size", "0.2", "--validation-size", "0.2")
    rows = pd.concat(parts.values())
    expected = {**GOLD, "bbc-07": True}  # the disagree-queue answer counts too; the tie and the skip do not
    assert dict(zip(rows["id"], rows["label"])) == expected
    assert all(rows["chosen"] == rows["label"].map({True: " Yes", False: " No"}))
    assert all(rows["rejected"] == rows["label"].map({True: " No", False: " Yes"}))


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_no_gold_labels_is_one_clear_line(db_path, tmp_path):
    con = connect(db_path)
    demo_like_lake(con)
    con.close()
    result = CliRunner().invoke(
        cli, ["export", "dpo", "--out", str(tmp_path / "o"), "--db", str(db_path), "--test-from", "gold"]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: --test-from gold: no gold-labelled articles yet; label some with `newsalign review` (its gold queue)"
    )


@pytest.mark.slow
def test_evaluate_scores_the_automated_labellers_against_the_gold_set(lake, tmp_path):
    import json

    from newsalign.training.tiny import build_tiny_model

    export(lake, tmp_path, "--test-from", "gold", "--validation-size", "0.2")
    model = build_tiny_model(tmp_path / "tiny", ["Is this an investment signal? Yes No"] * 4)
    report = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--model",
            f"tiny={model}",
            "--data",
            str(tmp_path / "out"),
            "--out",
            str(report),
            "--bootstrap",
            "0",
            "--labellers",
            "--db",
            str(lake),
        ],
    )
    assert result.exit_code == 0, result.output
    models = json.loads((report / "metrics.json").read_text())["models"]
    # gold: bbc-01 yes, bbc-02 no, guardian-03 no, techcrunch-01 yes; the LLM said yes only on every fourth
    # article (bbc-00, -04, ...): no on all four, so 2 of 4 right, no signal found
    llm = models["labeller_llm"]
    assert llm["kind"] == "labeller" and llm["n"] == 4
    assert llm["metrics"]["accuracy"] == pytest.approx(0.5) and llm["metrics"]["recall"] == pytest.approx(0.0)
    con = connect(lake, read_only=True)
    trend = dict(con.execute("SELECT article_id, trend_signal FROM int_topics_labels").fetchall())
    con.close()
    right = sum(trend[i] == label for i, label in GOLD.items())
    assert models["labeller_trends"]["metrics"]["accuracy"] == pytest.approx(right / 4)
    right_or = sum((trend[i] or False) == label for i, label in GOLD.items())  # the LLM added no yes here
    assert models["labeller_llm_or_trends"]["metrics"]["accuracy"] == pytest.approx(right_or / 4)
    assert "labeller_llm" in (report / "report.md").read_text()
