"""PNG plots for the evaluation report: ROC and PR curves, confusion matrices, reliability diagram, training curves.

The evaluation plots are scikit-learn's display classes drawn on our own axes.

Figures are built with `matplotlib.figure.Figure` and saved with the Agg canvas, never through
pyplot's global state, so plotting works headless and leaves no open windows or figures behind.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from newsalign.training.metrics import ECE_BINS
from newsalign.training.metrics_trainer import series

# (panel title, keys): each key is drawn as a solid train line and, when logged, a dashed eval_ line.
CURVE_PANELS = (
    ("loss", ("loss",)),
    ("reward margin", ("rewards/margins", "margin")),
    ("rewards", ("rewards/chosen", "rewards/rejected", "reward", "mean_reward")),
    ("log-probs", ("logps/chosen", "logps/rejected")),
    ("reward accuracy", ("rewards/accuracies", "accuracy")),
    ("KL", ("kl", "objective/kl")),
)


def _figure(n_panels: int, *, width: float = 4.0, height: float = 3.4):
    from matplotlib.figure import Figure

    cols = min(n_panels, 3)
    rows = math.ceil(n_panels / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _save(fig, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110)
    return path


def _two_class(results: dict[str, tuple]):
    """(index, name, gold, p) for the models whose gold labels hold both classes (curves are undefined otherwise);
    the index picks the model's style, so a model keeps its colour in every plot."""
    for i, (name, (gold, p)) in enumerate(results.items()):
        gold = np.asarray(gold, dtype=bool)
        if gold.any() and not gold.all():
            yield i, name, gold, np.asarray(p, dtype=float)


def _style(i: int) -> dict:
    """Ten distinct colours (tab10), then the same colours dashed: a legend of ten and more models stays readable."""
    return {"color": f"C{i % 10}", "linestyle": "-" if i < 10 else "--"}


def _outside_legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:  # no labelled curve (e.g. a one-class test set): no legend to draw
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", frameon=False)


def roc_curves(results: dict[str, tuple], path) -> Path:
    """ROC curve of the signal class per model (scikit-learn's RocCurveDisplay); `results`: name -> (gold, p)."""
    from sklearn.metrics import RocCurveDisplay

    fig, (ax,) = _figure(1, width=7.5, height=4.5)
    for i, name, gold, p in _two_class(results):
        RocCurveDisplay.from_predictions(gold, p, ax=ax, name=name, plot_chance_level=i == 0, curve_kwargs=_style(i))
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (signal class)")
    _outside_legend(ax)
    return _save(fig, Path(path))


def pr_curves(results: dict[str, tuple], path, *, thresholds: dict[str, float] | None = None) -> Path:
    """Precision-recall curve of the signal class per model (PrecisionRecallDisplay, with average precision),
    with a dot at each model's chosen operating point (`thresholds`: name -> threshold) when given."""
    from sklearn.metrics import PrecisionRecallDisplay

    fig, (ax,) = _figure(1, width=7.5, height=4.5)
    for i, name, gold, p in _two_class(results):
        PrecisionRecallDisplay.from_predictions(
            gold, p, ax=ax, name=name, plot_chance_level=i == 0, curve_kwargs=_style(i)
        )
        if thresholds and name in thresholds:
            predicted = p > thresholds[name]
            if predicted.any():  # no predicted signal: precision undefined, no point to mark
                precision, recall = (gold & predicted).sum() / predicted.sum(), (gold & predicted).sum() / gold.sum()
                ax.plot(recall, precision, "o", color=_style(i)["color"], markersize=7, markeredgecolor="black")
    title = "Precision-recall (signal class)" + ("; dot: chosen threshold" if thresholds else "")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.05), title=title)
    _outside_legend(ax)
    return _save(fig, Path(path))


def confusion_matrices(matrices: dict[str, list[list[int]]], path) -> Path:
    """One 2x2 matrix per model (ConfusionMatrixDisplay): rows gold no/yes, columns predicted no/yes; one colour
    scale (0 to the largest count of any model) and one colour bar, so equal shades are equal counts."""
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, axes = _figure(len(matrices), width=3.2, height=3.0)
    top = max((max(map(max, cm)) for cm in matrices.values()), default=1) or 1
    for ax, (name, cm) in zip(axes, matrices.items()):
        display = ConfusionMatrixDisplay(np.asarray(cm), display_labels=["no", "yes"])
        display.plot(ax=ax, cmap="Blues", colorbar=False, im_kw={"vmin": 0, "vmax": top})
        ax.set(xlabel="predicted", ylabel="gold", title=name)
    if matrices:
        fig.colorbar(display.im_, ax=list(axes), shrink=0.8, label="articles")
    return _save(fig, Path(path))


def reliability_diagram(results: dict[str, tuple], path, *, n_bins: int = ECE_BINS, title: str = "Reliability") -> Path:
    """Observed signal rate against mean P(signal) per equal-width bin (ECE's bins), one panel per model, each
    bin's article count written beside its point and drawn as grey bars (right axis, 0 to all articles)."""
    fig, axes = _figure(len(results), width=3.6, height=3.2)
    edges = np.linspace(0, 1, n_bins + 1)
    for i, (ax, (name, (gold, p))) in enumerate(zip(axes, results.items())):
        gold, p = np.asarray(gold, dtype=float), np.asarray(p, dtype=float)
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        counts = np.bincount(bins, minlength=n_bins)
        filled = counts > 0
        mean_p = np.bincount(bins, weights=p, minlength=n_bins)[filled] / counts[filled]
        rate = np.bincount(bins, weights=gold, minlength=n_bins)[filled] / counts[filled]
        bars = ax.twinx()
        bars.bar(edges[:-1], counts, width=1 / n_bins, align="edge", color="0.85", zorder=0)
        bars.set_ylim(0, len(p))  # bar height: the share of all articles, the same scale in every panel
        bars.set_ylabel("articles in bin", fontsize="x-small", color="0.4")
        bars.tick_params(labelsize="x-small", colors="0.4")
        ax.set_zorder(bars.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.plot([0, 1], [0, 1], ":", color="0.5", label="perfectly calibrated")
        ax.plot(mean_p, rate, "o-", color=_style(i)["color"], label=name)
        for x, y, n in zip(mean_p, rate, counts[filled]):
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(3, 3), fontsize="xx-small")
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), title=name, xlabel="mean P(signal) in bin")
        ax.set_ylabel("observed signal rate")
    fig.suptitle(f"{title} ({n_bins} equal-width bins; numbers: articles per bin)")
    return _save(fig, Path(path))


def seed_curves(histories: dict[str, list[list[dict]]], path, *, seeds: list[int]) -> Path | None:
    """One panel per model: training loss (solid) and eval loss (dashed) of every seed, a colour per seed."""
    panels = {name: logs for name, logs in histories.items() if any(series(log, "loss")[1] for log in logs)}
    if not panels:
        return None
    fig, axes = _figure(len(panels), width=3.8, height=3.0)
    for ax, (name, logs) in zip(axes, panels.items()):
        for k, (seed, log) in enumerate(zip(seeds, logs)):
            for key, style in (("loss", "-"), ("eval_loss", "--")):
                steps, values = series(log, key)
                if values:  # eval points marked: an evaluation only at the end is one point, no line
                    marker = "o" if key.startswith("eval") else None
                    ax.plot(
                        steps, values, style, color=f"C{k}", marker=marker, markersize=3, label=f"seed {seed} {key}"
                    )
        ax.set(xlabel="step", title=name)
        ax.legend(fontsize="xx-small")
    return _save(fig, Path(path))


def training_curves(log_history: list[dict], path, *, title: str = "") -> Path | None:
    """The panels of CURVE_PANELS that the log has data for; None when it has none."""
    panels = []
    for panel, keys in CURVE_PANELS:
        lines = [
            (f"C{k}", prefix + key, style)
            for k, key in enumerate(keys)
            for prefix, style in (("", "-"), ("eval_", "--"))
        ]
        lines = [(color, key, style, *series(log_history, key)) for color, key, style in lines]
        lines = [line for line in lines if line[4]]
        if lines:
            panels.append((panel, lines))
    if not panels:
        return None
    fig, axes = _figure(len(panels))
    for ax, (panel, lines) in zip(axes, panels):
        for color, key, style, steps, values in lines:  # an eval_ line shares its train key's colour, dashed
            ax.plot(
                steps, values, style, color=color, marker="o" if len(values) < 30 else None, markersize=3, label=key
            )
        ax.set(xlabel="step", title=panel)
        ax.legend(fontsize="x-small")
        beta_steps, beta = series(log_history, "beta")
        if panel == "KL" and beta:  # the adaptive-KL controller's answer to the KL it read
            twin = ax.twinx()
            twin.plot(beta_steps, beta, ":", color="C3", marker="s", markersize=3, label="β (adaptive KL)")
            twin.set_ylabel("β")
            handles = [h for a in (ax, twin) for h in a.get_legend_handles_labels()[0]]
            ax.legend(handles=handles, fontsize="x-small")  # one legend: KL and β lines together
    if title:
        fig.suptitle(title)
    return _save(fig, Path(path))
