"""Classification metrics for a yes/no signal classifier, with bootstrap 95% intervals.

Every metric is computed from `(y_true, p_signal)`: the gold label and the model's probability of
the signal ("yes") class; the prediction is `p_signal > threshold`. Metrics are written for a
matrix of resamples at once (one row per bootstrap draw) so that 1000 draws cost a few numpy
operations instead of 1000 rounds of scikit-learn calls; `tests/test_metrics.py` checks the point
estimates against scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "ece")
ECE_BINS = 10


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (scikit-learn's `zero_division=0`)."""
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _roc_auc(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Row-wise ROC-AUC as the Mann-Whitney U statistic (ties count one half); NaN for one-class rows."""
    ranks = rankdata(p, axis=1)  # average ranks for ties
    n_pos = y.sum(axis=1)
    n_neg = y.shape[1] - n_pos
    u = (ranks * y).sum(axis=1) - n_pos * (n_pos + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def _ece(y: np.ndarray, p: np.ndarray, n_bins: int) -> np.ndarray:
    """Row-wise expected calibration error of p(signal) over `n_bins` equal-width bins on [0, 1]."""
    rows, n = y.shape
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)  # p == 1.0 goes in the last bin
    flat = (bins + n_bins * np.arange(rows)[:, None]).ravel()
    p_sum = np.bincount(flat, weights=p.ravel(), minlength=rows * n_bins).reshape(rows, n_bins)
    y_sum = np.bincount(flat, weights=y.ravel(), minlength=rows * n_bins).reshape(rows, n_bins)
    # sum_b (n_b / n) * |mean p_b - mean y_b|  ==  sum_b |sum p_b - sum y_b| / n
    return np.abs(p_sum - y_sum).sum(axis=1) / n


def metric_rows(
    y: np.ndarray, p: np.ndarray, *, threshold: float = 0.5, n_bins: int = ECE_BINS
) -> dict[str, np.ndarray]:
    """Every metric for each row of the 2-D arrays `y` (0/1) and `p` (probabilities)."""
    y = y.astype(float)
    pred = (p > threshold).astype(float)
    tp = (pred * y).sum(axis=1)
    fp = (pred * (1 - y)).sum(axis=1)
    fn = ((1 - pred) * y).sum(axis=1)
    tn = ((1 - pred) * (1 - y)).sum(axis=1)
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, tp + fn)
    return {
        "accuracy": (tp + tn) / y.shape[1],
        "precision": precision,
        "recall": recall,
        "f1": _safe_div(2 * tp, 2 * tp + fp + fn),
        "roc_auc": _roc_auc(y, p),
        "ece": _ece(y, p, n_bins),
    }


def confusion(y_true, p_signal, *, threshold: float = 0.5) -> list[list[int]]:
    """[[tn, fp], [fn, tp]] (rows: gold no/yes; columns: predicted no/yes), as scikit-learn lays it out."""
    y = np.asarray(y_true, dtype=bool)
    pred = np.asarray(p_signal, dtype=float) > threshold
    return [[int((~y & ~pred).sum()), int((~y & pred).sum())], [int((y & ~pred).sum()), int((y & pred).sum())]]


def compute_metrics(y_true, p_signal, *, threshold: float = 0.5, n_bins: int = ECE_BINS) -> dict[str, float]:
    """Point estimates of METRICS; roc_auc is NaN when the gold labels hold one class only."""
    y = np.asarray(y_true, dtype=float)[None, :]
    p = np.asarray(p_signal, dtype=float)[None, :]
    if y.shape[1] == 0:
        raise ValueError("no examples to score")
    return {name: float(values[0]) for name, values in metric_rows(y, p, threshold=threshold, n_bins=n_bins).items()}


def bootstrap_ci(
    y_true, p_signal, *, n_resamples: int = 1000, seed: int = 0, level: float = 0.95, threshold: float = 0.5
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval per metric (examples resampled with replacement).

    Draws where a metric is undefined (ROC-AUC on a one-class resample) are left out of that
    metric's percentiles; a metric with no defined draw gets (NaN, NaN).
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(p_signal, dtype=float)
    if n_resamples <= 0 or len(y) == 0:
        return {name: (math.nan, math.nan) for name in METRICS}
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // len(y))  # bound memory: resample matrices of at most ~2M cells
    parts = []
    for start in range(0, n_resamples, chunk):
        idx = rng.integers(0, len(y), size=(min(chunk, n_resamples - start), len(y)))
        parts.append(metric_rows(y[idx], p[idx], threshold=threshold))
    tail = (1 - level) / 2 * 100
    out = {}
    for name in METRICS:
        values = np.concatenate([part[name] for part in parts])
        values = values[~np.isnan(values)]
        out[name] = (
            (float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)))
            if len(values)
            else (math.nan, math.nan)
        )
    return out
