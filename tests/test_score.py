"""`newsalign score`: the evaluate scorer over stored articles into `predictions`, once per (article, model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from newsalign.cli import main
from newsalign.training import scoring
from newsalign.training.decision import Decision, save_decision
from newsalign.training.predict import model_hash, score_articles
from newsalign.training.prompt import DEFAULT_ANSWERS, PromptBuilder
from newsalign.warehouse import connect
from tests.watch_support import import_articles, tiny_model

pytestmark = pytest.mark.xdist_group("test_score")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture
def lake(tmp_path):
    db = tmp_path / "lake"
    import_articles(db, tmp_path, 6)
    return db


def _predictions(db) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute(
            "SELECT article_id, score, probability, threshold, signal FROM predictions ORDER BY 1"
        ).fetchall()


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_scores_match_evaluate_scorer_and_nothing_twice(lake, model, capsys):
    assert main(["score", "--model", str(model), "--db", str(lake)]) == 0
    first = _predictions(lake)
    assert len(first) == 6 and len({r[0] for r in first}) == 6
    assert "No decision kept" in capsys.readouterr().err
    # the same prompt and scorer as `evaluate`, article by article
    loaded, tokenizer = scoring.load_model(model, device="cpu")
    builder = PromptBuilder(512, tokenizer)
    with connect(lake, read_only=True) as con:
        texts = con.execute("SELECT id, title, text FROM v_articles_clean ORDER BY id").fetchall()
    expected = scoring.p_signal(
        scoring.answer_logprobs(
            loaded, tokenizer, [builder(t, x) for _, t, x in texts], DEFAULT_ANSWERS, max_length=1024
        )
    )
    np.testing.assert_allclose([r[1] for r in first], expected, rtol=1e-5)
    assert [r[4] for r in first] == [s > 0.5 for s in expected]
    # a second run scores nothing; new articles alone are scored by a third
    assert main(["score", "--model", str(model), "--db", str(lake)]) == 0
    assert "0 articles scored" in capsys.readouterr().out
    assert _predictions(lake) == first
    import_articles(lake, lake.parent, 2, offset=100)
    assert main(["score", "--model", str(model), "--db", str(lake)]) == 0
    assert "2 articles scored" in capsys.readouterr().out
    assert len(_predictions(lake)) == 8


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_decision_beside_the_model_or_from_metrics(lake, model, tmp_path):
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(model, copy)
    save_decision(copy, Decision(threshold=0.0, platt=(2.0, 0.5)))
    with connect(lake) as con:
        summary = score_articles(con, copy, where="id IN (SELECT id FROM v_articles_clean ORDER BY id LIMIT 3)")
    assert summary.scored == 3 and summary.signals == 3
    assert model_hash(copy) != model_hash(model)  # the decision file is part of what was scored with
    rows = _predictions(lake)
    assert all(r[3] == 0.0 and r[4] for r in rows)
    p = np.array([r[1] for r in rows])
    np.testing.assert_allclose([r[2] for r in rows], 1 / (1 + np.exp(-(2.0 * np.log(p / (1 - p)) + 0.5))), rtol=1e-6)
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"models": {"dpo": {"path": str(model), "threshold": 0.99, "calibration": None}}}))
    assert main(["score", "--model", str(model), "--metrics", str(metrics), "--db", str(lake)]) == 0
    with connect(lake, read_only=True) as con:
        assert con.execute(
            "SELECT DISTINCT threshold FROM predictions WHERE model_hash = ?", [model_hash(model)]
        ).fetchall() == [(0.99,)]


def test_bad_input_is_one_line(lake, model, tmp_path, capsys):
    assert main(["score", "--model", str(model), "--where", "nonsense_column > 1", "--db", str(lake)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("Error: --where") and err.count("\n") <= 2 and "Traceback" not in err
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"models": {"other": {"path": str(tmp_path), "threshold": 0.3}}}))
    assert main(["score", "--model", str(model), "--metrics", str(metrics), "--db", str(lake)]) == 1
    assert "has no model evaluated from" in capsys.readouterr().err
