"""Baselines scored on the same held-out split as the models: P(signal) per test prompt.

- `majority`: always the training set's majority class, with the training prior as probability.
- `tfidf_logreg`: TF-IDF word 1-2 grams + logistic regression, fit on the training prompts.
"""

from __future__ import annotations

import numpy as np

from newsalign.core.errors import NewsalignError


def majority(train_gold, n_test: int) -> np.ndarray:
    """The training prior of the signal class for every test row (predicts the majority class; AUC 0.5)."""
    train_gold = np.asarray(train_gold, dtype=float)
    if len(train_gold) == 0:
        raise NewsalignError("the training split is empty: the baselines need training rows")
    return np.full(n_test, train_gold.mean())


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
