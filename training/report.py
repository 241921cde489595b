"""Turn an evaluation result (see `training.evaluate.evaluate_models`) into report.md, metrics.json and a table."""

from __future__ import annotations

import json
import math
from pathlib import Path

from newsalign.core.files import write_text
from newsalign.training.metrics import METRICS

REWARD_ACCURACY_CAVEAT = (
    "The trainer's reward accuracy (DPO's `rewards/accuracies`, the reward model's `accuracy`) is **not** task "
    "accuracy. It is the share of the trainer's own preference pairs in which the chosen answer's implicit reward "
    "(for DPO, beta times the policy/reference log-ratio) beats the rejected one's: it measures whether training "
    "moved the policy towards the gold answer relative to the reference model, not whether the policy now prefers "
    "it, and it is often computed on few pairs (the table gives how many). Task accuracy is P(signal) above the "
    "model's threshold on the held-out articles."
)


def fmt(value, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def comparison_table(result: dict) -> str:
    """A compact fixed-width table: one row per model and baseline (model, accuracy, ..., ECE)."""
    calibrated = any(entry.get("calibration") for entry in result["models"].values())
    header = ("model", *METRICS, *(["ece_calibrated"] if calibrated else []))
    rows = [
        (
            name,
            *(fmt(entry["metrics"][m]) for m in METRICS),
            *([fmt((entry.get("calibration") or {}).get("ece"))] if calibrated else []),
        )
        for name, entry in result["models"].items()
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_comparison(result: dict) -> None:
    """Print `comparison_table(result)` (used by `newsalign evaluate` and `newsalign demo --train`)."""
    import click

    click.echo(comparison_table(result))


def _jsonable(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_metrics_json(result: dict, path) -> Path:
    """metrics.json: the whole result, NaN written as null."""
    path = Path(path)
    write_text(path, json.dumps(_jsonable(result), indent=2, default=str) + "\n")
    return path


def _metrics_table(result: dict) -> list[str]:
    lines = [
        "| model | kind | threshold | " + " | ".join(METRICS) + " |",
        "|---|---|---|" + "---|" * len(METRICS),
    ]
    for name, entry in result["models"].items():
        cells = []
        for metric in METRICS:
            low, high = entry["ci"][metric]
            ci = "" if math.isnan(low) else f" [{fmt(low, 2)}, {fmt(high, 2)}]"
            cells.append(fmt(entry["metrics"][metric]) + ci)
        lines.append(f"| {name} | {entry['kind']} | {fmt(entry['threshold'])} | " + " | ".join(cells) + " |")
    return lines


def _confusion_table(result: dict) -> list[str]:
    lines = ["| model | TN | FP | FN | TP |", "|---|---|---|---|---|"]
    for name, entry in result["models"].items():
        (tn, fp), (fn, tp) = entry["confusion_matrix"]
        lines.append(f"| {name} | {tn} | {fp} | {fn} | {tp} |")
    return lines


def _calibration_section(result: dict) -> list[str]:
    rows = [
        (name, e["metrics"]["ece"], e["calibration"]) for name, e in result["models"].items() if e.get("calibration")
    ]
    if not rows:
        return []
    return [
        "## Calibration",
        "",
        f"Test ECE before and after {result['settings']['calibration']} scaling, p' = sigmoid(a logit(p) + b), "
        "fitted on the validation split only (`training.calibration`). Calibration moves the probabilities "
        "only: the thresholds, accuracy and ROC-AUC above are the raw scores'.",
        "",
        "| model | ECE | ECE calibrated | a | b |",
        "|---|---|---|---|---|",
        *(f"| {n} | {fmt(ece)} | {fmt(c['ece'])} | {fmt(c['a'], 2)} | {fmt(c['b'], 2)} |" for n, ece, c in rows),
        "",
    ]


def _trainer_section(result: dict) -> list[str]:
    rows = []
    for name, entry in result["models"].items():
        trainer = entry.get("trainer") or {}
        reward = trainer.get("reward_accuracy")
        if reward:
            where = f"`{reward['key']}`, {reward['split']}, step {reward['step']}"
            pairs = reward.get("pairs")
            share = f"{round(reward['value'] * pairs)} of {pairs}" if pairs else "unknown"
            rows.append(
                f"| {name} | {fmt(reward['value'])} ({where}) | {share} | {fmt(entry['metrics']['accuracy'])} |"
            )
    curves = [
        (name, e["trainer"]["curves"]) for name, e in result["models"].items() if (e.get("trainer") or {}).get("curves")
    ]
    if not rows and not curves:
        return []
    lines = ["## Training logs", ""]
    if rows:
        lines += [
            "| model | trainer reward accuracy | pairs | task accuracy (held-out) |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
        lines += [REWARD_ACCURACY_CAVEAT, ""]
    for name, image in curves:
        lines += [
            f"### {name}",
            "",
            f"From `{result['models'][name]['trainer']['log']}`.",
            "",
            f"![training curves of {name}]({image})",
            "",
        ]
    return lines


def render_report(result: dict) -> str:
    data, settings = result["data"], result["settings"]
    positive, negative = data["answers"]
    lines = [
        "# newsalign evaluation",
        "",
        f"Held-out split `{data['split']}` of `{data['dir']}`: {data['n']} articles, {data['positive']} signal / "
        f"{data['negative']} no signal. Models answer {positive!r} or {negative!r}; P(signal) is the softmax over the two "
        "answers' summed log-probs (no generation), and the prediction is P(signal) > the threshold "
        + (
            f"chosen per model on the validation split ({data.get('validation_n')} articles; the accuracy-maximising "
            "cut, never on the held-out rows). "
            if settings["threshold"] == "validation"
            else f"{settings['threshold']}. "
        )
        + "Precision, recall and F1 are for the signal class. "
        + (
            f"Brackets: {settings['bootstrap']}-resample BCa bootstrap 95% intervals (seed {settings['seed']}). "
            if settings["bootstrap"]
            else ""
        )
        + f"ECE uses {settings['ece_bins']} equal-width bins of P(signal).",
        "",
        *_metrics_table(result),
        "",
    ]
    lines += [f"- {note}" for note in result.get("notes", [])]
    lines += ["", *_calibration_section(result), "## Confusion matrices", "", *_confusion_table(result), ""]
    plots = result.get("plots", {})
    for title, key in (
        ("ROC", "roc_curves"),
        ("Precision-recall", "pr_curves"),
        ("Confusion matrices", "confusion_matrices"),
        ("Reliability", "reliability"),
        ("Reliability after calibration", "reliability_calibrated"),
    ):
        if plots.get(key):
            lines += [f"![{title}]({plots[key]})", ""]
    lines += _trainer_section(result)
    models = [
        f"- `{name}`: `{e['path']}` ({fmt(e['seconds'], 1)} s scoring)"
        for name, e in result["models"].items()
        if e["kind"] == "model"
    ]
    if models:
        lines += ["## Models", "", *models, ""]
    return "\n".join(lines)


def write_report(result: dict, path) -> Path:
    path = Path(path)
    write_text(path, render_report(result))
    return path
