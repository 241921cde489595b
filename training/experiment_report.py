"""One report over an experiment's cells (see `training.experiment`): report.md, summary.json and plots.

Per split: each model's metrics as the mean and standard deviation over seeds with a BCa interval of
the seed mean (resampling the test articles, the same for every seed), paired bootstrap differences
between every two models, the trainers' reward accuracy next to task accuracy, training curves over
seeds, and the facts that make it reproducible: the export card's snapshot hash, the configs, versions.
"""

from __future__ import annotations

import itertools
import platform
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from newsalign.core.files import read_json, read_text, write_text
from newsalign.training import plots
from newsalign.training.metrics import METRICS, paired_difference_ci, seed_mean_ci
from newsalign.training.metrics_trainer import load_log_history
from newsalign.training.report import REWARD_ACCURACY_CAVEAT, fmt, write_metrics_json

PACKAGES = ("newsalign", "torch", "transformers", "trl", "peft", "datasets", "scikit-learn", "numpy", "scipy")
DIFF_METRICS = ("accuracy", "roc_auc")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _sd(values: list) -> float | None:
    """Standard deviation over seeds (None with one seed; NaN when a seed's value is undefined, null in JSON)."""
    values = [np.nan if v is None else v for v in values]
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def _cell_runs(cells: list[dict], methods: list[str]) -> tuple[np.ndarray, dict, list[dict]]:
    """(gold, {model: [(p, threshold) per seed]}, [metrics.json per seed]) for the cells of one split."""
    gold, runs, results = None, {}, []
    for cell in cells:
        eval_dir = Path(cell["dir"]) / "eval"
        result = read_json(eval_dir / "metrics.json", "evaluation metrics")
        predictions = pd.read_csv(eval_dir / "predictions.csv")
        if gold is None:
            gold, ids = predictions["gold"].to_numpy(bool), predictions["id"].tolist()
        elif predictions["id"].tolist() != ids:
            raise ValueError(f"{eval_dir}: the seeds of one split were scored on different articles")
        for name in methods:
            if name in result["models"]:
                runs.setdefault(name, []).append(
                    (predictions[f"p_{name}"].to_numpy(), result["models"][name]["threshold"])
                )
        results.append(result)
    return gold, runs, results


def summarise_split(cells: list[dict], methods: list[str], *, bootstrap: int = 1000, seed: int = 0) -> dict:
    """Everything the report says about one split (JSON-ready)."""
    gold, runs, results = _cell_runs(cells, methods)
    models = {}
    for name, model_runs in runs.items():
        per_seed = [r["models"][name]["metrics"] for r in results]
        rewards = [
            ((r["models"][name].get("trainer") or {}).get("reward_accuracy") or {}).get("value") for r in results
        ]
        rewards = [v for v in rewards if v is not None]
        models[name] = {
            "kind": results[0]["models"][name]["kind"],
            "thresholds": [t for _, t in model_runs],
            "per_seed": per_seed,
            "sd": {m: _sd([s[m] for s in per_seed]) for m in METRICS},
            "mean_ci": seed_mean_ci(gold, model_runs, n_resamples=bootstrap, seed=seed),
            "reward_accuracy": float(np.mean(rewards)) if rewards else None,
            "ece_calibrated": [(r["models"][name].get("calibration") or {}).get("ece") for r in results],
        }
    differences = {
        f"{a} - {b}": paired_difference_ci(gold, runs[a], runs[b], n_resamples=bootstrap, seed=seed)
        for a, b in itertools.combinations(runs, 2)
    }
    return {
        "n": len(gold),
        "positive": int(gold.sum()),
        "seeds": [c["seed"] for c in cells],
        "validation_n": results[0]["data"]["validation_n"],
        "models": models,
        "differences": differences,
        "gold": gold,
        "runs": runs,
        "results": results,
    }


def _mean_cell(entry: dict, metric: str) -> str:
    mean, low, high = entry["mean_ci"][metric]
    sd = entry["sd"][metric]
    return (
        f"{fmt(mean)} ± {fmt(sd)} [{fmt(low, 2)}, {fmt(high, 2)}]"
        if sd is not None
        else f"{fmt(mean)} [{fmt(low, 2)}, {fmt(high, 2)}]"
    )


def _calibration_lines(models: dict) -> list[str]:
    """ECE before and after calibration on validation, mean ± standard deviation over seeds."""
    rows = [(n, e) for n, e in models.items() if None not in e["ece_calibrated"]]
    if not rows:
        return []

    def cell(values: list) -> str:
        sd = _sd(values)
        return fmt(float(np.mean(values))) + ("" if sd is None else f" ± {fmt(sd)}")

    return [
        "### Calibration on validation",
        "",
        "Test ECE of the raw scores and after Platt scaling fitted on each seed's validation scores only "
        "(mean ± standard deviation over seeds); thresholds and the other metrics stay the raw scores'.",
        "",
        "| model | ECE | ECE calibrated |",
        "|---|---|---|",
        *(f"| {n} | {cell([s['ece'] for s in e['per_seed']])} | {cell(e['ece_calibrated'])} |" for n, e in rows),
        "",
    ]


def _split_section(split: str, summary: dict, images: dict) -> list[str]:
    models = summary["models"]
    lines = [
        f"## Split `{split}`",
        "",
        f"Test: {summary['n']} articles ({summary['positive']} signal), the same for every seed "
        f"({', '.join(map(str, summary['seeds']))}); thresholds chosen on {summary['validation_n']} validation "
        "articles. Cells: mean over seeds ± standard deviation over seeds [BCa 95% interval of the seed mean, "
        "resampling test articles]. `n/a`: undefined (precision when a model never predicts the signal, "
        "ROC-AUC with one class).",
        "",
        *[f"- {note}" for note in dict.fromkeys(n for r in summary["results"] for n in r.get("notes", []))],
        "",
        "| model | threshold(s) | " + " | ".join(METRICS) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    for name, entry in models.items():
        thresholds = ", ".join(fmt(t, 2) for t in entry["thresholds"])
        lines.append(f"| {name} | {thresholds} | " + " | ".join(_mean_cell(entry, m) for m in METRICS) + " |")
    lines += ["", "### Which differences are real", ""]
    lines += [
        "Paired bootstrap over the test articles (both models scored on the same resampled articles, seed means): "
        "the difference row − column with its 95% percentile interval; **bold** when the interval excludes 0 "
        "(a difference these test articles support).",
        "",
    ]
    names = list(models)
    for metric in DIFF_METRICS:
        lines += [f"{metric}:", "", "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for a in names:
            cells = []
            for b in names:
                key = f"{a} - {b}"
                if names.index(b) <= names.index(a) or key not in summary["differences"]:
                    cells.append("")  # each pair once: the upper triangle
                    continue
                diff, low, high = (v + 0.0 for v in summary["differences"][key][metric])  # + 0.0: no "-0.000"
                text = f"{diff:+.3f} [{low:+.2f}, {high:+.2f}]"
                cells.append(f"**{text}**" if low > 0 or high < 0 else text)
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += _calibration_lines(models)
    rewards = [(n, e) for n, e in models.items() if e["reward_accuracy"] is not None]
    if rewards:
        lines += [
            "### Reward accuracy next to task accuracy",
            "",
            "| model | trainer reward accuracy (mean over seeds, last eval) | task accuracy (test) |",
            "|---|---|---|",
            *(f"| {n} | {fmt(e['reward_accuracy'])} | {fmt(e['mean_ci']['accuracy'][0])} |" for n, e in rewards),
            "",
            REWARD_ACCURACY_CAVEAT,
            "",
        ]
    lines += [f"![{title}]({image})" for title, image in images.items() if image] + [""]
    return lines


def write_experiment_report(exp, cells: list[dict], out, *, notes: list[str] = ()) -> dict:
    """report.md, summary.json and per-split plots under `out`; returns the summary."""
    out = Path(out)
    settings = {"bootstrap": 1000, **exp.evaluate}
    compared = [m for m in ("base", *exp.trained, "majority", "tfidf_logreg") if m in exp.methods]
    by_split: dict[str, list[dict]] = {}
    for cell in cells:
        by_split.setdefault(cell["split"], []).append(cell)
    lines = [
        f"# Experiment `{exp.path.name}`",
        "",
        f"Methods: {', '.join(compared)}. Seeds: {', '.join(map(str, exp.seeds))}. Trainer config: "
        f"`{exp.train_config.name}`. Scores are P(signal) from answer log-probs (reward models: the "
        "Bradley-Terry probability of their rewards); see docs/evaluation.md.",
        "",
        *[f"- {note}" for note in notes],
        "",
    ]
    summary = {"experiment": str(exp.path), "splits": {}, "versions": versions(), "notes": list(notes)}
    for split, split_cells in by_split.items():
        data = summarise_split(split_cells, compared, bootstrap=settings["bootstrap"])
        images = _split_images(exp, split_cells, data, compared, out / f"{split}_", out)
        lines += _split_section(split, data, images)
        summary["splits"][split] = {k: v for k, v in data.items() if k not in ("gold", "runs", "results")}
    lines += _reproduce(exp, by_split, out, summary)
    write_text(out / "report.md", "\n".join(lines))
    write_metrics_json(summary, out / "summary.json")
    return summary


def _split_images(exp, split_cells: list[dict], data: dict, compared: list[str], prefix: Path, out: Path) -> dict:
    """Write one split's plots (file names starting with `prefix`): {caption: path relative to `out`}."""
    first = data["results"][0]
    pairs = {name: (data["gold"], runs[0][0]) for name, runs in data["runs"].items()}
    thresholds = {name: runs[0][1] for name, runs in data["runs"].items()}
    images = {
        f"ROC, seed {data['seeds'][0]}": plots.roc_curves(pairs, f"{prefix}roc.png").name,
        f"Precision-recall, seed {data['seeds'][0]} (dot: chosen threshold)": plots.pr_curves(
            pairs, f"{prefix}pr.png", thresholds=thresholds
        ).name,
        f"Confusion matrices, seed {data['seeds'][0]}": plots.confusion_matrices(
            {n: e["confusion_matrix"] for n, e in first["models"].items() if n in pairs}, f"{prefix}confusion.png"
        ).name,
        f"Reliability, seed {data['seeds'][0]}": plots.reliability_diagram(pairs, f"{prefix}reliability.png").name,
    }
    first_predictions = pd.read_csv(Path(split_cells[0]["dir"]) / "eval" / "predictions.csv")
    calibrated = {
        n: (data["gold"], first_predictions[f"pcal_{n}"].to_numpy()) for n in pairs if f"pcal_{n}" in first_predictions
    }
    if calibrated:
        images[f"Reliability after calibration on validation, seed {data['seeds'][0]}"] = plots.reliability_diagram(
            calibrated, f"{prefix}reliability_calibrated.png", title="Reliability after calibration on validation"
        ).name
    histories = {
        name: [load_log_history(Path(c["dir"]) / name) for c in split_cells] for name in compared if name in exp.trained
    }
    curves = plots.seed_curves(histories, f"{prefix}curves.png", seeds=data["seeds"])
    if curves:
        images["Training curves over seeds (solid: train loss, dashed: eval loss)"] = curves.name
    for name in histories:  # every panel of the first seed's log, β beside the KL for GRPO
        image = Path(split_cells[0]["dir"]) / "eval" / f"curves_{name}.png"
        if image.exists():
            images[f"{name}, seed {data['seeds'][0]}: all logged curves"] = str(image.relative_to(out))
    return images


def _reproduce(exp, by_split: dict, out: Path, summary: dict) -> list[str]:
    cards = {}
    for split in by_split:
        card_path = out / "exports" / split / "sft" / "card.json"
        if card_path.exists():
            cards[split] = read_json(card_path, "dataset card")
    summary["data"] = {
        split: {"warehouse_snapshot_sha256": c["warehouse_snapshot_sha256"], "counts": c["counts"]}
        for split, c in cards.items()
    }
    summary["configs"] = {"experiment": read_text(exp.path), "train_config": read_text(exp.train_config)}
    lines = ["## Reproduce", ""]
    lines += [
        f"- Data, split `{split}`: warehouse snapshot sha256 `{c['warehouse_snapshot_sha256']}` "
        f"(label `{c['label_source']}`, export card `exports/{split}/sft/card.json`)"
        for split, c in cards.items()
    ]
    lines += [f"- Versions: {', '.join(f'{k} {v}' for k, v in summary['versions'].items())}", ""]
    for title, text in (
        ("Experiment", summary["configs"]["experiment"]),
        ("Trainer config", summary["configs"]["train_config"]),
    ):
        lines += [f"### {title}", "", "```yaml", text.rstrip(), "```", ""]
    return lines
