"""Language identification shared by the crawl filter and the LLM answer checks: py3langid (its model ships
inside the wheel; deterministic, unlike langdetect, which needs a global random seed)."""

from __future__ import annotations

import functools


@functools.cache
def language_identifier():
    """py3langid's `LanguageIdentifier` with probabilities normalised to 0..1. Loading takes ~0.3 s; the
    model is read-only afterwards, so one per process is shared."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
