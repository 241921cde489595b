"""Language identification shared by the crawl filter and the LLM answer checks: py3langid (its model ships
inside the wheel; deterministic, unlike langdetect, which needs a global random seed)."""

from __future__ import annotations

import functools
import threading

_loading = threading.Lock()


def language_identifier():
    """py3langid's `LanguageIdentifier` with probabilities normalised to 0..1. Loading takes ~0.3 s; the
    model is read-only afterwards, so one per process is shared: a second thread asking while the first
    loads waits for that load instead of starting another."""
    with _loading:
        return _load()


@functools.cache
def _load():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
