"""`newsalign demo --train`: export from the demo warehouse, train tiny models, compare them side by side."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.xdist_group("demo")  # the tests sharing the one demo run (conftest.demo_run)


@pytest.mark.slow
def test_demo_train_prints_the_comparison_and_writes_the_report(demo_run):
    out = demo_run.printed()
    table = out[out.index("Held-out comparison") :]
    for row in ("base", "dpo", "rlhf", "majority", "tfidf_logreg"):
        assert f"\n{row} " in table
    assert "'loss'" not in out  # trainer chatter goes to train.log, not the demo's output

    dataset = json.loads((demo_run.folder / "demo-dataset.json").read_text())
    assert dataset and set(dataset[0]) >= {"id", "title", "text", "topics", "growth", "gpt_signal", "signal"}

    workdir = demo_run.folder / "demo-train"
    metrics = json.loads((workdir / "report" / "metrics.json").read_text())
    assert set(metrics["models"]) >= {"base", "dpo", "rlhf", "majority", "tfidf_logreg"}
    assert metrics["data"]["n"] > 0
    assert (workdir / "report" / "report.md").stat().st_size > 0
    assert "train_loss" in (workdir / "train.log").read_text()
