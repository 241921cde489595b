"""Baselines scored on the same held-out split as the models: P(signal) per test prompt.

- `majority`: the prior of the real data (the validation split, which is never balanced) for every row.
- `tfidf_logreg`: TF-IDF word 1-2 grams + logistic regression, fit on the training prompts.
"""

from __future__ import annotations

import numpy as np

from newsalign.core.errors import NewsalignError


def majority(prior_gold, n_test: int) -> np.ndarray:
    """The signal prior of `prior_gold` for every test row (predicts the majority class; AUC 0.5).

    Learn it from rows with the real class balance (validation), never from a balanced training split:
    a balanced prior of 0.5 predicts "no" whatever the real majority is."""
    prior_gold = np.asarray(prior_gold, dtype=float)
    if len(prior_gold) == 0:
        raise NewsalignError("the split the majority baseline learns its prior from is empty")
    return np.full(n_test, prior_gold.mean())


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
