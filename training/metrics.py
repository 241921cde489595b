"""Classification metrics for a yes/no signal classifier, with BCa bootstrap 95% intervals.

Every metric is computed from `(y_true, p_signal)`: the gold label and the model's probability of
the signal ("yes") class; the prediction is `p_signal > threshold`. Metrics are written for a
matrix of resamples at once (one row per bootstrap draw), the vectorized statistic that
`scipy.stats.bootstrap` calls, so 1000 draws cost a few numpy operations instead of 1000 rounds of
scikit-learn calls; `tests/test_metrics.py` checks the point estimates against scikit-learn.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.stats import bootstrap, rankdata

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "ece")
ECE_BINS = 10


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0: precision with no predicted signal is undefined, not 0
    (scikit-learn's `zero_division=np.nan`)."""
    return np.divide(num, den, out=np.full_like(num, np.nan, dtype=float), where=den > 0)


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
    precision = _div(tp, tp + fp)
    recall = _div(tp, tp + fn)
    return {
        "accuracy": (tp + tn) / y.shape[1],
        "precision": precision,
        "recall": recall,
        "f1": _div(2 * tp, 2 * tp + fp + fn),
        "roc_auc": _roc_auc(y, p),
        "ece": _ece(y, p, n_bins),
    }


def choose_threshold(y_true, p_signal) -> float:
    """The threshold t maximising accuracy of `p_signal > t` on these (validation) rows; among equally accurate
    thresholds, the one nearest 0.5. Candidates are the midpoints between sorted distinct scores and the two ends."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(p_signal, dtype=float)
    if len(y) == 0:
        raise ValueError("no validation examples to choose a threshold on")
    values = np.unique(p)
    candidates = np.concatenate([[values[0] - 1e-9], (values[:-1] + values[1:]) / 2, [values[-1]]])
    accuracy = ((p[None, :] > candidates[:, None]) == y[None, :]).mean(axis=1)
    best = np.flatnonzero(accuracy == accuracy.max())
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])


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
    """BCa bootstrap interval per metric (`scipy.stats.bootstrap`), resampling within each class.

    The signal and no-signal examples are resampled separately, so every resample keeps the class
    counts and ROC-AUC is defined on all of them. A class with fewer than two examples cannot be
    resampled: every interval is then (NaN, NaN). A metric that is the same on every resample gets
    (value, value). BCa corrects for bias, but for a strongly biased statistic (ECE grows under
    resampling) it can still end just short of the estimate: the interval is widened to reach it.
    """
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(p_signal, dtype=float)
    samples = [part for part in (p[y], p[~y]) if len(part)]
    labels = [1.0, 0.0] if len(samples) == 2 else [float(y[0])] if len(y) else []
    if n_resamples <= 0 or not samples or min(map(len, samples)) < 2:
        return {name: (math.nan, math.nan) for name in METRICS}

    def statistic(*parts, axis=-1):  # every metric, for each resample along the leading axes
        gold = np.concatenate([np.full(part.shape, label) for part, label in zip(parts, labels)], axis=-1)
        prob = np.concatenate(parts, axis=-1)
        rows = metric_rows(gold.reshape(-1, gold.shape[-1]), prob.reshape(-1, prob.shape[-1]), threshold=threshold)
        return np.stack([rows[name].reshape(prob.shape[:-1]) for name in METRICS])

    with warnings.catch_warnings():  # NaN (one-class AUC) and degenerate distributions are handled below
        warnings.simplefilter("ignore")
        result = bootstrap(
            samples,
            statistic,
            n_resamples=n_resamples,
            confidence_level=level,
            method="BCa",
            vectorized=True,
            rng=np.random.default_rng(seed),
        )
    point = statistic(*samples)
    draws = result.bootstrap_distribution
    out = {}
    for i, name in enumerate(METRICS):
        low, high = result.confidence_interval.low[i], result.confidence_interval.high[i]
        out[name] = _contain(point[i], low, high, draws[i], level)
    return out


def _contain(point: float, low: float, high: float, draws: np.ndarray, level: float) -> tuple[float, float]:
    """The interval (low, high) widened to contain `point`; (point, point) for a constant statistic; a
    percentile interval of the defined draws where BCa is undefined (some resamples have no predicted
    signal, so their precision is undefined); (NaN, NaN) for an undefined point estimate."""
    if np.isnan(point):
        return (math.nan, math.nan)
    finite = draws[np.isfinite(draws)]
    if np.isnan(low) or np.isnan(high):
        if not len(finite) or finite.min() == finite.max():
            return (float(point), float(point))
        low, high = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return (float(min(low, point)), float(max(high, point)))


def _index_bootstrap(statistic, n: int, *, n_resamples: int, seed: int, level: float, method: str = "BCa"):
    """(point, low, high) arrays: BCa (or `method`) intervals of `statistic(idx)` (a stack of values per resample of the
    article indices `idx`, shape (..., n)), resampling articles with replacement."""
    index = np.arange(n)

    def stat(idx, axis=-1):
        idx = np.asarray(idx)
        return statistic(idx.reshape(-1, idx.shape[-1])).reshape(-1, *idx.shape[:-1])

    point = statistic(index[None, :])[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bootstrap(
            (index,),
            stat,
            n_resamples=n_resamples,
            confidence_level=level,
            method=method,
            vectorized=True,
            rng=np.random.default_rng(seed),
        )
    bounds = [
        _contain(point[i], result.confidence_interval.low[i], result.confidence_interval.high[i], draws, level)
        for i, draws in enumerate(result.bootstrap_distribution)
    ]
    return point, np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])


def _seed_mean(y: np.ndarray, runs: list[tuple[np.ndarray, float]], idx: np.ndarray) -> np.ndarray:
    """METRICS (rows) averaged over the runs (seeds), for each row of resampled article indices `idx`."""
    per_run = []
    for p, threshold in runs:
        rows = metric_rows(y[idx], p[idx], threshold=threshold)
        per_run.append(np.stack([rows[name] for name in METRICS]))
    return np.mean(per_run, axis=0)


def seed_mean_ci(
    y_true, runs: list[tuple], *, n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, tuple[float, float, float]]:
    """{metric: (mean over runs, low, high)}: the mean over seeds of each metric, with a BCa interval from
    resampling the test articles (the same articles for every seed). `runs`: [(p_signal, threshold)]."""
    y = np.asarray(y_true, dtype=float)
    runs = [(np.asarray(p, dtype=float), t) for p, t in runs]
    point, low, high = _index_bootstrap(
        lambda idx: _seed_mean(y, runs, idx), len(y), n_resamples=n_resamples, seed=seed, level=level
    )
    return {name: (float(point[i]), float(low[i]), float(high[i])) for i, name in enumerate(METRICS)}


def paired_difference_ci(
    y_true, runs_a: list[tuple], runs_b: list[tuple], *, n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, tuple[float, float, float]]:
    """{metric: (difference a - b of the seed means, low, high)}: both models scored on the same resampled
    articles in every draw (a paired bootstrap), so what the articles share cancels. An interval that
    excludes 0 is a difference the test set supports. Percentile intervals: a grid compares every pair of
    models, and BCa's jackknife over every article costs seconds per pair."""
    y = np.asarray(y_true, dtype=float)
    runs_a = [(np.asarray(p, dtype=float), t) for p, t in runs_a]
    runs_b = [(np.asarray(p, dtype=float), t) for p, t in runs_b]
    point, low, high = _index_bootstrap(
        lambda idx: _seed_mean(y, runs_a, idx) - _seed_mean(y, runs_b, idx),
        len(y),
        n_resamples=n_resamples,
        seed=seed,
        level=level,
        method="percentile",
    )
    return {name: (float(point[i]), float(low[i]), float(high[i])) for i, name in enumerate(METRICS)}
