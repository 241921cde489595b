"""`newsalign experiment`: the YAML checks, the seed-mean and paired bootstrap, a grid killed with SIGKILL
midway that resumes where it stopped and writes one report, and a run killed mid-training that resumes from
its checkpoint."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from newsalign.core.errors import NewsalignError
from newsalign.training.experiment import Grid, load_experiment
from newsalign.training.metrics import compute_metrics, paired_difference_ci, seed_mean_ci

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_shipped_experiments_load_and_name_existing_configs():
    for name in ("ag-news-cpu.yaml", "thesis.yaml"):
        exp = load_experiment(ROOT / "experiments" / name)
        assert exp.train_config.is_file() and len(exp.seeds) == 3
        assert set(exp.methods) >= {"base", "sft", "dpo", "sft_dpo", "kto", "grpo", "grpo_verifiable", "majority"}


def test_methods_pull_in_what_they_start_from(tmp_path):
    exp = load_experiment(write(tmp_path / "e.yaml", "train_config: tiny-cpu.yaml\nmethods: [sft_dpo, grpo]\n"))
    assert exp.trained == ["sft", "sft_dpo", "reward", "grpo"]  # dependencies first
    assert exp.kinds == ["dpo", "reward", "rl", "sft"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("train_config: tiny-cpu.yaml\nseed: [1]\n", "unknown key seed (known: train_config"),
        ("train_config: tiny-cpu.yaml\nmethods: [dpo, ppo]\n", "methods[1] must be one of 'base'.*, got 'ppo'"),
        ("train_config: nowhere.yaml\n", "train_config nowhere.yaml not found"),
        ("seeds: [0]\n", "train_config is missing"),
        ("- sft\n", "experiment file .*: must hold a YAML mapping"),
        ("train_config: [\n", "experiment file .*: not valid YAML"),
    ],
)
def test_bad_experiment_files_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(NewsalignError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[1]", r"\[1\]")):
        load_experiment(write(tmp_path / "e.yaml", text))


def test_seed_mean_is_the_mean_of_the_seeds_and_its_interval_contains_it():
    rng = np.random.default_rng(0)
    gold = rng.random(200) < 0.3
    runs = [(np.clip(gold * 0.4 + rng.random(200) * 0.6, 0, 1), 0.5) for _ in range(3)]
    result = seed_mean_ci(gold, runs, n_resamples=200)
    for metric in ("accuracy", "roc_auc", "precision"):
        mean, low, high = result[metric]
        assert mean == pytest.approx(np.mean([compute_metrics(gold, p, threshold=t)[metric] for p, t in runs]))
        assert low <= mean <= high and low < high


def test_paired_difference_separates_a_real_gap_from_none():
    rng = np.random.default_rng(1)
    gold = rng.random(300) < 0.5
    good = [(np.clip(np.where(gold, 0.8, 0.2) + rng.normal(0, 0.1, 300), 0, 1), 0.5)]
    noise = [(rng.random(300), 0.5)]
    diff, low, high = paired_difference_ci(gold, good, noise, n_resamples=200)["accuracy"]
    assert low > 0 and low <= diff <= high  # the better model is better on these articles
    assert paired_difference_ci(gold, good, good, n_resamples=200)["accuracy"] == (0.0, 0.0, 0.0)


def test_undefined_precision_stays_undefined_in_the_seed_mean():
    gold = np.array([True, False, True, False, False, True])
    never_yes = [(np.full(6, 0.1), 0.5)]
    assert math.isnan(seed_mean_ci(gold, never_yes, n_resamples=50)["precision"][0])


@pytest.mark.slow
def test_a_killed_grid_resumes_where_it_stopped_and_reports(tmp_path):
    from tests.agnews_lake import LABEL, build_warehouse

    db = build_warehouse(tmp_path / "lake", n=40)
    config = write(
        tmp_path / "exp.yaml",
        f"""train_config: tiny-cpu.yaml
seeds: [0, 1]
splits: [random]
torch_threads: 1
methods: [base, sft, dpo, majority, tfidf_logreg]
data: {{label: {LABEL}, test_size: 0.3, validation_size: 0.3, max_article_tokens: 24}}
train: {{all: {{max_steps: 2, eval_steps: 1, logging_steps: 1, save_strategy: "no"}}}}
evaluate: {{bootstrap: 50}}
""",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "newsalign", "experiment", "--config", str(config), "--db", str(db)]
    command += ["--out", str(out)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    marker = out / "runs" / "random" / "seed0" / "sft" / "run.json"
    deadline = time.monotonic() + 300
    while not marker.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert marker.exists() and not (out / "report.md").exists()
    finished_at = marker.stat().st_mtime

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "[1/6] random seed 0 sft: done before, skipped" in again.stdout
    assert "random seed 1 evaluation:" in again.stdout
    assert marker.stat().st_mtime == finished_at  # not trained again

    summary = json.loads((out / "summary.json").read_text())
    split = summary["splits"]["random"]
    assert list(split["models"]) == ["base", "sft", "dpo", "majority", "tfidf_logreg"]
    assert split["seeds"] == [0, 1]
    sft = split["models"]["sft"]
    assert len(sft["thresholds"]) == 2 and sft["sd"]["accuracy"] is not None
    mean, low, high = sft["mean_ci"]["accuracy"]
    assert low <= mean <= high
    assert "sft - dpo" in split["differences"]
    card = json.loads((out / "exports" / "random" / "sft" / "card.json").read_text())
    report = (out / "report.md").read_text()
    assert card["warehouse_snapshot_sha256"] in report and "transformers" in report
    before = card["train_before_balance"]
    prior = f"P(signal) is {before['positive'] / before['articles']:.3f}, from the training split before balancing"
    assert report.count(prior) == 1  # the cells' notes, once per split
    assert "### Calibration on validation" in report and len(sft["ece_calibrated"]) == 2
    for png in (
        "random_roc.png",
        "random_pr.png",
        "random_confusion.png",
        "random_reliability.png",
        "random_reliability_calibrated.png",
        "random_curves.png",
    ):
        assert (out / png).stat().st_size > 0 and png in report


@pytest.mark.slow
def test_a_run_killed_after_a_checkpoint_resumes_from_it(tmp_path):
    from tests.agnews_lake import LABEL, build_warehouse

    db = build_warehouse(tmp_path / "lake", n=40)
    config = write(
        tmp_path / "exp.yaml",
        f"""train_config: tiny-cpu.yaml
seeds: [0]
splits: [random]
torch_threads: 1
methods: [sft]
data: {{label: {LABEL}, test_size: 0.3, validation_size: 0.3, max_article_tokens: 24}}
train: {{all: {{max_steps: 4, eval_steps: 2, logging_steps: 1, save_strategy: steps, save_steps: 2, save_total_limit: 2}}}}
evaluate: {{bootstrap: 0}}
""",
    )
    exp, out = load_experiment(config), tmp_path / "out"
    Grid(exp, out, echo=lambda line: None).run(db=db)
    cell = out / "runs" / "random" / "seed0"
    run = cell / "sft"
    # leave the folder as a kill after step 2 would: its first checkpoint, no later one, no model, no run.json
    for path in run.iterdir():
        if path.name not in ("checkpoint-2", "train.log"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    (cell / "evaluated.json").unlink()
    saved = run / "checkpoint-2" / "trainer_state.json"
    state = json.loads(saved.read_text())
    assert state["global_step"] == 2
    state["log_history"][0]["loss"] = 123.0  # a mark only the checkpoint holds
    saved.write_text(json.dumps(state))

    lines = []
    Grid(exp, out, echo=lines.append).run(db=db)
    assert any(line.startswith("[1/2] random seed 0 sft (resumed from checkpoint-2): ") for line in lines), lines
    final = json.loads((run / "trainer_state.json").read_text())
    assert final["global_step"] == 4 and final["log_history"][0]["loss"] == 123.0  # went on from step 2
    assert (run / "run.json").exists() and (cell / "evaluated.json").exists()
