"""Side-by-side evaluation of trained models and baselines on the held-out split of an export.

`evaluate_models` scores every model by answer log-probs (`training.scoring`) on the validation and
test splits, adds the majority and TF-IDF + logistic-regression baselines, chooses each one's decision
threshold on validation only (the majority baseline's is 0.5: it predicts the real majority class), computes
test metrics with bootstrap intervals (`training.metrics`), fits each one's calibration on validation
(`training.calibration`) and reports test ECE before and after, and writes report.md, metrics.json,
predictions.csv and PNG plots to `out_dir`.
"""

from __future__ import annotations

import gc
import re
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from newsalign.core.errors import NewsalignError
from newsalign.core.files import make_dir, read_json
from newsalign.training import baselines, calibration, plots
from newsalign.training.evaluate_data import has_split, load_split, read_answers
from newsalign.training.metrics import ECE_BINS, bootstrap_ci, choose_threshold, compute_metrics, confusion
from newsalign.training.metrics_trainer import find_trainer_state, load_log_history, load_run_facts, reward_accuracy
from newsalign.training.report import print_comparison, write_metrics_json, write_report
from newsalign.training.scoring import answer_logprobs, check_model_folder, load_model, p_signal

BASELINES = ("majority", "tfidf_logreg")
DEFAULT_MAX_LENGTH = 1024  # TRL's default max_length, for models whose training recorded none

__all__ = ["evaluate_models", "print_comparison", "parse_model_specs"]


def parse_model_specs(specs: list[str]) -> dict[str, Path]:
    """`NAME=PATH` (or a bare PATH, named after its directory) -> {name: path}, names unique."""
    models: dict[str, Path] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = Path(spec).name, spec
        if not name or not path:
            raise NewsalignError(f"--model expects NAME=PATH, got {spec!r}")
        if name in models or name in BASELINES:
            raise NewsalignError(f"model name {name!r} is used twice (baselines are named {', '.join(BASELINES)})")
        models[name] = Path(path)
    return models


def _file_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


def _score_model(path: Path, prompts: list[str], answers, *, batch_size: int, max_length: int | None, device) -> tuple:
    import torch

    model, tokenizer = load_model(path, device=device)
    start = time.perf_counter()
    logprobs = answer_logprobs(model, tokenizer, prompts, answers, batch_size=batch_size, max_length=max_length)
    seconds = time.perf_counter() - start
    scored = weakref.ref(model)
    del model
    if scored() is not None:  # a reference cycle holds it: only a full collection (~0.2-0.5 s) frees it
        gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return p_signal(logprobs), seconds


def _trainer_info(path: Path, out_dir: Path, name: str) -> dict:
    state = find_trainer_state(path)
    if state is None:
        return {"log": None, "reward_accuracy": None, "curves": None}
    history = load_log_history(path)
    image = plots.training_curves(history, out_dir / f"curves_{_file_name(name)}.png", title=name)
    reward = reward_accuracy(history)
    if reward is not None:
        facts = load_run_facts(path)
        reward["pairs"] = facts.get("eval_rows" if reward["split"] == "eval" else "train_rows_per_log")
    return {"log": str(state), "reward_accuracy": reward, "curves": image.name if image else None}


def majority_prior(data_dir: Path, validation, train) -> tuple[float, str]:
    """P(signal) for the majority baseline and the rows it came from: the training population before balancing
    (the export card's `train_before_balance`), else the validation split, else the training split."""
    card = data_dir / "card.json"
    before = read_json(card, "dataset card").get("train_before_balance") if card.exists() else None
    if before and before.get("articles"):
        return before["positive"] / before[
            "articles"
        ], f"the training split before balancing ({before['articles']} articles)"
    for name, frame in (("validation split", validation), ("training split", train)):
        if frame is not None and len(frame):
            return float(frame["gold"].mean()), f"the {name} ({len(frame)} articles)"
    raise NewsalignError("the majority baseline has no rows to learn its prior from")


def _calibrate(method: str | None, validation, scores: dict, n_val: int, notes: list[str]) -> dict:
    """{name: (params, calibrated test scores)} fitted on the validation rows of `scores`; {} when off or impossible."""
    if method is None:
        return {}
    if validation is None:
        notes.append("No calibration: the export has no validation split to fit it on.")
        return {}
    val_gold = validation["gold"].to_numpy()
    fitted = {name: calibration.fit_platt(val_gold, p[:n_val]) for name, p in scores.items()}
    if any(params is None for params in fitted.values()):
        notes.append("No calibration: the validation split holds one class only.")
        return {}
    return {name: (params, calibration.apply_platt(params, scores[name][n_val:])) for name, params in fitted.items()}


def resolve_max_length(models: dict[str, Path], max_length: int | None) -> int:
    """`max_length`, else the smallest max_length the models were trained with (every model sees the same
    tokens), else DEFAULT_MAX_LENGTH."""
    if max_length is not None:
        return max_length
    trained = [facts["max_length"] for path in models.values() if (facts := load_run_facts(path)).get("max_length")]
    return min(trained, default=DEFAULT_MAX_LENGTH)


@dataclass(frozen=True)
class _Rows:
    """The rows every model is scored on: the validation split (when there is one), then `split`."""

    split: str
    test: pd.DataFrame
    validation: pd.DataFrame | None

    @property
    def gold(self):
        return self.test["gold"].to_numpy()

    @property
    def n_val(self) -> int:
        return 0 if self.validation is None else len(self.validation)

    @property
    def prompts(self) -> list[str]:
        return ([] if self.validation is None else self.validation["prompt"].tolist()) + self.test["prompt"].tolist()


def _add_labellers(con, rows: _Rows, entries: dict, notes: list[str], *, bootstrap: int, seed: int) -> None:
    """Score the automated labellers (the LLM's signal, the Trends rule, their OR: training/labellers.py)
    against the split's labels, as if they were models."""
    from newsalign.training.labellers import score_labellers

    labelled, labeller_notes = score_labellers(con, rows.test["id"].tolist(), rows.gold, bootstrap=bootstrap, seed=seed)
    entries.update(labelled)
    notes.extend(labeller_notes)


def _check_settings(models: dict[str, Path], calibrate: str | None) -> str | None:
    """The calibration method (None when off); fails on an unknown method or a missing model directory."""
    calibrate = None if calibrate in (None, False, "none") else calibrate
    if calibrate is not None and calibrate not in calibration.METHODS:
        raise NewsalignError(f"calibrate must be one of {', '.join(calibration.METHODS)} or none, not {calibrate!r}")
    for name, path in models.items():
        if not Path(path).is_dir():
            raise NewsalignError(f"model {name!r}: path not found: {path}")
    return calibrate


def _load_rows(data_dir: Path, split: str, threshold: float | None, notes: list[str]) -> _Rows:
    """`split` and (unless it is the split evaluated) the validation split of the export, with notes on what lacks."""
    test = load_split(data_dir, split)
    if test.empty:
        raise NewsalignError(f"the {split} split in {data_dir} has no rows to evaluate")
    validation = (
        load_split(data_dir, "validation") if split != "validation" and has_split(data_dir, "validation") else None
    )
    if validation is not None and validation.empty:
        validation = None
    if threshold is None and validation is None:
        notes.append(
            "The export has no validation split: every threshold is 0.5 (re-export to choose it on validation)."
        )
    rows = _Rows(split, test, validation)
    gold = rows.gold
    if gold.all() or not gold.any():
        notes.append(
            f"The {split} split holds one class only ({'signal' if gold.all() else 'no signal'}): ROC-AUC is undefined (n/a)."
        )
    return rows


def _score_models(models: dict[str, Path], rows: _Rows, answers, out_dir: Path, **scoring) -> tuple[dict, dict]:
    """({name: P(signal) on validation rows, then test rows}, {name: entry}) for every model."""
    scores: dict[str, object] = {}
    entries: dict[str, dict] = {}
    for name, path in models.items():
        scores[name], seconds = _score_model(Path(path), rows.prompts, answers, **scoring)
        entries[name] = {
            "kind": "model",
            "path": str(path),
            "seconds": seconds,
            "trainer": _trainer_info(Path(path), out_dir, name),
        }
    return scores, entries


def _score_baselines(
    data_dir: Path, rows: _Rows, threshold: float | None, seed: int, notes: list[str]
) -> tuple[dict, dict]:
    """({name: P(signal)}, {name: entry}) for the majority and TF-IDF baselines (the latter skipped, noted, when
    it cannot be fitted)."""
    train = load_split(data_dir, "train")
    prior, population = majority_prior(data_dir, rows.validation, train)
    notes.append(
        f"The majority baseline's P(signal) is {prior:.3f}, from {population}"
        + ("; it predicts the majority class (threshold 0.5, not chosen on validation)." if threshold is None else ".")
    )
    scores = {"majority": baselines.majority(prior, len(rows.prompts))}
    try:
        scores["tfidf_logreg"] = baselines.tfidf_logreg(train["prompt"], train["gold"], rows.prompts, seed=seed)
    except NewsalignError as exc:
        notes.append(f"TF-IDF baseline skipped: {exc}.")
    entries = {name: {"kind": "baseline", "path": None, "seconds": None, "trainer": None} for name in scores}
    return scores, entries


def _threshold(name: str, scores, rows: _Rows, threshold: float | None) -> float:
    """`threshold` when fixed; 0.5 for the majority baseline or without validation; else chosen on validation."""
    if threshold is not None:
        return threshold
    if rows.validation is None or name == "majority":
        return 0.5
    return choose_threshold(rows.validation["gold"].to_numpy(), scores[: rows.n_val])


def _test_metrics(p, gold, chosen: float, *, bootstrap: int, seed: int) -> dict:
    """Threshold, metrics, bootstrap intervals and confusion matrix of test scores `p`."""
    return {
        "threshold": chosen,
        "metrics": compute_metrics(gold, p, threshold=chosen),
        "ci": bootstrap_ci(gold, p, n_resamples=bootstrap, seed=seed, threshold=chosen),
        "confusion_matrix": confusion(gold, p, threshold=chosen),
    }


def _calibration_entry(method: str, fitted, gold, chosen: float) -> dict:
    """The calibration parameters of one model and its test ECE after calibration."""
    (a, b), p_calibrated = fitted
    return {"method": method, "a": a, "b": b, "ece": compute_metrics(gold, p_calibrated, threshold=chosen)["ece"]}


def _data_summary(data_dir: Path, rows: _Rows, answers) -> dict:
    """What was evaluated: the export, the split, its class counts, the answers and the validation rows."""
    gold = rows.gold
    return {
        "dir": str(data_dir),
        "split": rows.split,
        "n": len(rows.test),
        "positive": int(gold.sum()),
        "negative": int((~gold).sum()),
        "answers": list(answers),
        "validation_n": rows.n_val,
    }


def _plots(predictions: dict, calibrated: dict, entries: dict, gold, out_dir: Path, calibrate: str | None) -> dict:
    """Write the ROC, PR, confusion and reliability plots; {plot: file name}."""
    pairs = {name: (gold, p) for name, p in predictions.items()}
    written = {
        "roc_curves": plots.roc_curves(pairs, out_dir / "roc_curves.png").name,
        "pr_curves": plots.pr_curves(pairs, out_dir / "pr_curves.png").name,
        "confusion_matrices": plots.confusion_matrices(
            {n: e["confusion_matrix"] for n, e in entries.items()}, out_dir / "confusion_matrices.png"
        ).name,
        "reliability": plots.reliability_diagram(pairs, out_dir / "reliability.png").name,
    }
    if calibrated:
        written["reliability_calibrated"] = plots.reliability_diagram(
            {name: (gold, p) for name, (_, p) in calibrated.items()},
            out_dir / "reliability_calibrated.png",
            title=f"Reliability after {calibrate} calibration on validation",
        ).name
    return written


def _write(result: dict, rows: _Rows, predictions: dict, calibrated: dict, out_dir: Path) -> None:
    """Write predictions.csv (raw and calibrated test scores), metrics.json and report.md."""
    columns = {f"p_{name}": p for name, p in predictions.items()}
    columns.update({f"pcal_{name}": p for name, (_, p) in calibrated.items()})
    frame = pd.DataFrame({"id": rows.test["id"], "gold": rows.gold, **columns})
    frame.to_csv(out_dir / "predictions.csv", index=False)
    write_metrics_json(result, out_dir / "metrics.json")
    write_report(result, out_dir / "report.md")


def evaluate_models(
    models: dict[str, Path],
    data_dir,
    out_dir,
    *,
    batch_size: int = 8,
    bootstrap: int = 1000,
    seed: int = 0,
    max_length: int | None = None,
    device: str | None = None,
    split: str = "test",
    with_baselines: bool = True,
    threshold: float | None = None,
    calibrate: str | None = "platt",
    labellers_con=None,
) -> dict:
    """Evaluate `models` ({name: model or LoRA adapter dir}) on `split` of the export in `data_dir`.

    `threshold=None` chooses each model's threshold on the export's validation split (0.5 when it has
    none); a number fixes it for all. `calibrate` ("platt", or None/"none" for off) fits each model's
    calibration on validation and reports the test ECE after it; metrics and thresholds stay on the raw
    scores. `labellers_con` (a lake connection): also score the automated labellers (LLM, Trends rule, their
    OR) against the split's labels. Returns the result written to `out_dir/metrics.json`: data
    summary, settings, and per model or baseline its threshold, metrics, bootstrap intervals,
    confusion matrix and (for models) trainer-log facts.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    calibrate = _check_settings(models, calibrate)
    for path in models.values():  # every model's config readable before any is loaded
        check_model_folder(path)
    answers = read_answers(data_dir)
    max_length = resolve_max_length(models, max_length)
    make_dir(out_dir, "--out")
    notes: list[str] = []
    rows = _load_rows(data_dir, split, threshold, notes)
    # score
    scores, entries = _score_models(
        models, rows, answers, out_dir, batch_size=batch_size, max_length=max_length, device=device
    )
    if with_baselines:
        baseline_scores, baseline_entries = _score_baselines(data_dir, rows, threshold, seed, notes)
        scores.update(baseline_scores)
        entries.update(baseline_entries)
    # threshold
    gold, n_val = rows.gold, rows.n_val
    predictions = {name: p[n_val:] for name, p in scores.items()}
    for name, p in predictions.items():
        chosen = _threshold(name, scores[name], rows, threshold)
        entries[name].update(_test_metrics(p, gold, chosen, bootstrap=bootstrap, seed=seed))
    # calibrate
    calibrated = _calibrate(calibrate, rows.validation, scores, n_val, notes)
    for name, fitted in calibrated.items():
        entries[name]["calibration"] = _calibration_entry(calibrate, fitted, gold, entries[name]["threshold"])
    if labellers_con is not None:  # the automated labellers against the split's labels
        _add_labellers(labellers_con, rows, entries, notes, bootstrap=bootstrap, seed=seed)
    # write
    result = {
        "data": _data_summary(data_dir, rows, answers),
        "settings": {
            "bootstrap": bootstrap,
            "seed": seed,
            "threshold": "validation" if threshold is None and rows.validation is not None else threshold or 0.5,
            "ece_bins": ECE_BINS,
            "batch_size": batch_size,
            "max_length": max_length,
            "calibration": calibrate if calibrated else None,
        },
        "models": entries,
        "notes": notes,
        "plots": _plots(predictions, calibrated, entries, gold, out_dir, calibrate),
    }
    _write(result, rows, predictions, calibrated, out_dir)
    return result
