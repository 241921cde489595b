"""Metrics against hand-computed values and scikit-learn; ECE on known inputs; bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from newsalign.training.metrics import bootstrap_ci, compute_metrics, confusion

GOLD = [1, 1, 1, 0, 0, 0, 0, 1]
PROB = [0.9, 0.6, 0.4, 0.7, 0.2, 0.1, 0.5, 0.8]  # 0.5 is not > 0.5: predicted "no"


def test_metrics_by_hand():
    # predicted yes: 0.9, 0.6, 0.7, 0.8 -> tp=3 (0.9, 0.6, 0.8), fp=1 (0.7), fn=1 (0.4), tn=3
    m = compute_metrics(GOLD, PROB)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1"] == pytest.approx(3 / 4)
    # positive/negative pairs ranked correctly: 0.9,0.8 beat all 4 negatives; 0.6 beats 3; 0.4 beats 2 -> 13/16
    assert m["roc_auc"] == pytest.approx(13 / 16)
    assert confusion(GOLD, PROB) == [[3, 1], [1, 3]]


def test_metrics_match_sklearn_on_random_data():
    rng = np.random.default_rng(3)
    gold = rng.integers(0, 2, 200)
    prob = np.clip(gold * 0.3 + rng.random(200) * 0.7, 0, 1).round(2)  # rounding makes ties
    pred = prob > 0.5
    m = compute_metrics(gold, prob)
    assert m["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    assert m["precision"] == pytest.approx(precision_score(gold, pred))
    assert m["recall"] == pytest.approx(recall_score(gold, pred))
    assert m["f1"] == pytest.approx(f1_score(gold, pred))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(gold, prob))


def test_ece_known_values():
    # bins [0.8, 0.9): p=0.8 x2, gold 1,0 -> |0.8 - 0.5| = 0.3; bin [0.2, 0.3): p=0.2 x2, gold 0,0 -> 0.2
    assert compute_metrics([1, 0, 0, 0], [0.8, 0.8, 0.2, 0.2])["ece"] == pytest.approx(0.5 * 0.3 + 0.5 * 0.2)
    # perfectly calibrated bins: p=0.25 with 1 in 4 positives, p=1.0 (last bin) all positive
    assert compute_metrics([1, 0, 0, 0, 1, 1], [0.25, 0.25, 0.25, 0.25, 1.0, 1.0])["ece"] == pytest.approx(0.0)
    # always-confident wrong model
    assert compute_metrics([0, 0, 1], [1.0, 1.0, 0.0])["ece"] == pytest.approx(1.0)


def test_one_class_gives_nan_auc_and_defined_rest():
    m = compute_metrics([1, 1, 1], [0.9, 0.3, 0.6])
    assert math.isnan(m["roc_auc"])
    assert m["recall"] == pytest.approx(2 / 3) and m["precision"] == 1.0
    none_predicted = compute_metrics([0, 0], [0.1, 0.2])
    assert math.isnan(none_predicted["precision"]) and math.isnan(none_predicted["f1"])
    assert none_predicted["accuracy"] == 1.0


def test_empty_input_is_an_error():
    with pytest.raises(ValueError):
        compute_metrics([], [])


def test_bootstrap_contains_point_and_is_deterministic():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, 150)
    prob = np.clip(gold * 0.4 + rng.random(150) * 0.6, 0, 1)
    point = compute_metrics(gold, prob)
    ci = bootstrap_ci(gold, prob, n_resamples=300, seed=7)
    for name, (low, high) in ci.items():
        assert low <= point[name] <= high, name
        assert high - low > 0, name
    assert bootstrap_ci(gold, prob, n_resamples=300, seed=7) == ci
    assert bootstrap_ci(gold, prob, n_resamples=300, seed=8) != ci


def test_every_interval_contains_its_estimate():
    # Calibrated random models: ECE's estimate is biased upward under resampling, and the old percentile
    # interval lay entirely above it (seed 1: estimate 0.038, interval [0.040, 0.103]).
    for seed in range(30):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(20, 300))
        prob = rng.random(n)
        gold = (rng.random(n) < prob).astype(int)
        point = compute_metrics(gold, prob)
        for name, (low, high) in bootstrap_ci(gold, prob, n_resamples=500, seed=seed).items():
            assert low <= point[name] <= high, (seed, name, point[name], low, high)


def test_resampling_within_classes_keeps_auc_defined():
    gold = [1, 1, 1] + [0] * 27  # a plain bootstrap leaves out every positive in ~5% of resamples
    prob = np.linspace(0.05, 0.95, 30)[::-1]
    low, high = bootstrap_ci(gold, prob, n_resamples=300, seed=1)["roc_auc"]
    assert 0 <= low <= high == 1.0
    assert bootstrap_ci([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], n_resamples=50)["accuracy"] == (1.0, 1.0)
    assert all(math.isnan(v) for v in bootstrap_ci([1, 1], [0.2, 0.9], n_resamples=50)["roc_auc"])
    assert all(math.isnan(v) for v in bootstrap_ci([1, 0, 0], [0.2, 0.9, 0.1], n_resamples=50)["f1"])  # one positive


def test_threshold_is_chosen_for_accuracy_nearest_one_half():
    from newsalign.training.metrics import choose_threshold

    # a model that over-predicts "yes": every score above 0.5, the classes separated at 0.8
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.6, 0.7, 0.75, 0.85, 0.9])
    t = choose_threshold(y, p)
    assert t == pytest.approx(0.8) and compute_metrics(y, p, threshold=t)["accuracy"] == 1.0
    assert choose_threshold([1, 1, 0], [0.4, 0.4, 0.4]) == pytest.approx(0.4 - 1e-9)  # all "yes" wins
    assert choose_threshold([0, 0, 1], [0.4, 0.4, 0.4]) == 0.4  # all "no" wins


def test_platt_fitted_on_validation_fixes_a_miscalibrated_model_on_test():
    """Scores trained at a balanced prior but tested at 20% signal are too high; Platt scaling fitted on
    validation rows brings test ECE down and keeps the ranking (ROC-AUC unchanged)."""
    from newsalign.training.calibration import apply_platt, fit_platt

    rng = np.random.default_rng(0)

    def draw(n):
        gold = rng.random(n) < 0.2
        return gold, 1 / (1 + np.exp(-(np.where(gold, 1.0, -0.2) + rng.normal(0, 1, n))))

    val_gold, val_p = draw(400)
    test_gold, test_p = draw(2000)
    params = fit_platt(val_gold, val_p)
    calibrated = apply_platt(params, test_p)
    before, after = compute_metrics(test_gold, test_p), compute_metrics(test_gold, calibrated)
    assert before["ece"] > 0.15 and after["ece"] < 0.05
    assert after["roc_auc"] == pytest.approx(before["roc_auc"])
    assert fit_platt(np.ones(5, bool), np.linspace(0.1, 0.9, 5)) is None  # one class: nothing to fit
    assert np.isfinite(apply_platt(params, [0.0, 1.0])).all()  # the majority prior can be exactly 0 or 1
