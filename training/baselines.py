"""Baselines scored on the same held-out split as the models: P(signal) per test prompt.

- `majority`: the signal prior of the real data for every row (see `evaluate.majority_prior` for which rows).
- `tfidf_logreg`: TF-IDF word 1-2 grams + logistic regression, fit on the training prompts as exported. After
  `--balance downsample` those are 50/50, so its probabilities carry a 0.5 prior: its decision threshold is
  chosen on validation (the real balance) like every model's, and calibration on validation (`training.calibration`)
  moves its probabilities to the real prior. No `class_weight`: reweighting balanced rows would change nothing,
  and on unbalanced rows it would bake a 0.5 prior in.
"""

from __future__ import annotations

import numpy as np

from newsalign.core.errors import NewsalignError


def majority(prior: float, n_test: int) -> np.ndarray:
    """`prior`, P(signal) of the real data, for every test row (AUC 0.5). With threshold 0.5 it predicts the
    majority class. Learn the prior from rows with the real class balance, never from a balanced training
    split: a balanced prior of 0.5 predicts "no" whatever the real majority is."""
    return np.full(n_test, float(prior))


def tfidf_logreg(train_texts, train_gold, test_texts, *, seed: int = 0) -> np.ndarray:
    """P(signal) from TF-IDF + logistic regression trained on the training split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if len(set(np.asarray(train_gold, dtype=bool).tolist())) < 2:
        raise NewsalignError("the training split holds one class only: the TF-IDF baseline needs both")
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=100_000),
        LogisticRegression(max_iter=1000, random_state=seed),
    )
    model.fit(list(train_texts), np.asarray(train_gold, dtype=bool))
    positive = list(model.classes_).index(True)
    return model.predict_proba(list(test_texts))[:, positive]
