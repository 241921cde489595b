"""Calibration of P(signal), fitted on the validation split only and applied to the test scores.

Platt scaling: a one-feature logistic regression (scikit-learn) on the score's logit, so
p' = sigmoid(a * logit(p) + b). Chosen over isotonic regression because validation splits are small
(hundreds of articles, a handful in the demo): two parameters fit stably on them where isotonic's
step function over-fits, and a sigmoid keeps the scores strictly ordered (no new ties), so ROC-AUC and
the ranking are untouched when a > 0. scikit-learn's default L2 penalty (C=1) keeps a and b finite
when validation is perfectly separated. Calibration changes only the probabilities (ECE, the reliability
diagram); the decision threshold stays the one chosen on the raw validation scores.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

METHODS = ("platt",)
_EPS = 1e-6  # scores of exactly 0 or 1 (the majority baseline's prior can be) get a finite logit


def _feature(p) -> np.ndarray:
    return logit(np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS))[:, None]


def fit_platt(gold, p) -> tuple[float, float] | None:
    """(a, b) fitted on these (validation) rows; None when they hold one class (nothing to fit)."""
    from sklearn.linear_model import LogisticRegression

    gold = np.asarray(gold, dtype=bool)
    if gold.all() or not gold.any():
        return None
    model = LogisticRegression().fit(_feature(p), gold)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def apply_platt(params: tuple[float, float], p) -> np.ndarray:
    a, b = params
    return expit(a * _feature(p)[:, 0] + b)
