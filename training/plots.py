"""PNG plots for the evaluation report: PR curves, confusion matrices, reliability diagram, training curves.

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


def pr_curves(results: dict[str, tuple], path) -> Path:
    """Precision-recall curve of the signal class per model; `results`: name -> (gold, p_signal)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, (ax,) = _figure(1, width=5.5, height=4.5)
    for name, (gold, p) in results.items():
        if not np.any(gold):
            continue  # no positive example: precision/recall undefined
        precision, recall, _ = precision_recall_curve(gold, p)
        ax.step(recall, precision, where="post", label=f"{name} (AP {average_precision_score(gold, p):.2f})")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.05), title="Precision-recall (signal class)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return _save(fig, Path(path))


def confusion_matrices(matrices: dict[str, list[list[int]]], path) -> Path:
    """One 2x2 heat map per model: rows gold no/yes, columns predicted no/yes."""
    fig, axes = _figure(len(matrices), width=3.2, height=3.0)
    for ax, (name, cm) in zip(axes, matrices.items()):
        cm = np.asarray(cm)
        ax.imshow(cm, cmap="Blues", vmin=0, vmax=max(1, cm.max()))
        for (r, c), count in np.ndenumerate(cm):
            ax.text(c, r, str(count), ha="center", va="center", color="white" if count > cm.max() / 2 else "black")
        ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["no", "yes"], yticklabels=["no", "yes"], title=name)
        ax.set(xlabel="predicted", ylabel="gold")
    return _save(fig, Path(path))


def reliability_diagram(results: dict[str, tuple], path, *, n_bins: int = ECE_BINS) -> Path:
    """Mean P(signal) against the observed signal rate per equal-width bin, per model (the bins of ECE)."""
    fig, (ax,) = _figure(1, width=5.5, height=4.5)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name, (gold, p) in results.items():
        p, gold = np.asarray(p, dtype=float), np.asarray(gold, dtype=float)
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        used = np.unique(bins)
        ax.plot([p[bins == b].mean() for b in used], [gold[bins == b].mean() for b in used], marker="o", label=name)
    ax.set(xlabel="mean P(signal) in bin", ylabel="observed signal rate", xlim=(0, 1), ylim=(0, 1), title="Reliability")
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
