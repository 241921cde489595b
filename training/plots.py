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
    """(name, gold, p) for the models whose gold labels hold both classes (curves are undefined otherwise)."""
    for name, (gold, p) in results.items():
        gold = np.asarray(gold, dtype=bool)
        if gold.any() and not gold.all():
            yield name, gold, np.asarray(p, dtype=float)


def roc_curves(results: dict[str, tuple], path) -> Path:
    """ROC curve of the signal class per model (scikit-learn's RocCurveDisplay); `results`: name -> (gold, p)."""
    from sklearn.metrics import RocCurveDisplay

    fig, (ax,) = _figure(1, width=5.5, height=4.5)
    for i, (name, gold, p) in enumerate(_two_class(results)):
        RocCurveDisplay.from_predictions(gold, p, ax=ax, name=name, plot_chance_level=i == 0)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (signal class)")
    return _save(fig, Path(path))


def pr_curves(results: dict[str, tuple], path) -> Path:
    """Precision-recall curve of the signal class per model (PrecisionRecallDisplay, with average precision)."""
    from sklearn.metrics import PrecisionRecallDisplay

    fig, (ax,) = _figure(1, width=5.5, height=4.5)
    for i, (name, gold, p) in enumerate(_two_class(results)):
        PrecisionRecallDisplay.from_predictions(gold, p, ax=ax, name=name, plot_chance_level=i == 0)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.05), title="Precision-recall (signal class)")
    return _save(fig, Path(path))


def confusion_matrices(matrices: dict[str, list[list[int]]], path) -> Path:
    """One 2x2 matrix per model (ConfusionMatrixDisplay): rows gold no/yes, columns predicted no/yes."""
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, axes = _figure(len(matrices), width=3.2, height=3.0)
    for ax, (name, cm) in zip(axes, matrices.items()):
        display = ConfusionMatrixDisplay(np.asarray(cm), display_labels=["no", "yes"])
        display.plot(ax=ax, cmap="Blues", colorbar=False)
        ax.set(xlabel="predicted", ylabel="gold", title=name)
    return _save(fig, Path(path))


def reliability_diagram(results: dict[str, tuple], path, *, n_bins: int = ECE_BINS) -> Path:
    """Observed signal rate against mean P(signal) per equal-width bin, per model (CalibrationDisplay; ECE's bins)."""
    from sklearn.calibration import CalibrationDisplay

    fig, (ax,) = _figure(1, width=5.5, height=4.5)
    for i, (name, (gold, p)) in enumerate(results.items()):
        CalibrationDisplay.from_predictions(
            np.asarray(gold, dtype=int), p, n_bins=n_bins, pos_label=1, ax=ax, name=name, ref_line=i == 0
        )
    ax.set(
        xlabel="mean P(signal) in bin",
        ylabel="observed signal rate",
        xlim=(-0.02, 1.02),
        ylim=(-0.02, 1.02),
        title="Reliability",
    )
    ax.legend(fontsize="small")
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
    if title:
        fig.suptitle(title)
    return _save(fig, Path(path))
