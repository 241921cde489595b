"""Language identification shared by the crawl filter and the LLM answer checks: py3langid (its model ships
inside the wheel; deterministic, unlike langdetect, which needs a global random seed).

The wheel's model is an LZMA-compressed npz: decompressing it costs ~0.35 s of CPU in every process that
identifies a language (each crawl, import and CC-NEWS worker). The decompressed arrays, and the depth of its
feature automaton (for the vectorised walk of `language_walk`), are kept once per py3langid version in a cache
folder (NEWSALIGN_CACHE_DIR, else $XDG_CACHE_HOME/newsalign, else ~/.cache/newsalign; ~70 MB, read in ~0.05 s).
A cache that cannot be written or read is skipped: the model is then loaded from the wheel as before, and
classifies with py3langid's own walk."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import tempfile
import threading
from array import array
from pathlib import Path

import numpy as np

from newsalign.core.language_walk import vectorised_identifier_class, walk_depth

_loading = threading.Lock()
_ARRAY_CODES = {2: "H", 4: "I", 8: "L"}  # item size -> the stdlib array typecode py3langid's tables use


def language_identifier():
    """py3langid's `LanguageIdentifier` with probabilities normalised to 0..1. The model is read-only once
    loaded, so one per process is shared: a second thread asking while the first loads waits for that load
    instead of starting another."""
    with _loading:
        return _load()


@functools.cache
def _load():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    cached = cache_dir() / f"py3langid-{importlib.metadata.version('py3langid')}.npz"
    try:
        return _read_cached(cached)
    except Exception:  # noqa: BLE001  (none yet, cut, not a zip, other tables: any cache it cannot read is rebuilt)
        pass
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    _write_cache(cached, identifier)
    return identifier


def cache_dir() -> Path:
    """Where newsalign keeps what it can rebuild (NEWSALIGN_CACHE_DIR, else the XDG cache folder)."""
    if os.environ.get("NEWSALIGN_CACHE_DIR"):
        return Path(os.environ["NEWSALIGN_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsalign"


def _read_cached(path: Path):
    """The identifier from the cached tables, its features found by the vectorised walk (`language_walk`) and its
    feature weights widened to float32 once: the wheel's are float16, which numpy widens on every classification
    (the same scores, exactly), making the scoring step twice as slow (0.55 vs 0.25 ms on 1,000 characters)."""
    with np.load(path, allow_pickle=False) as data:
        return vectorised_identifier_class()(
            data["ptc"].astype(np.float32),
            data["pc"],
            data["classes"].tolist(),
            _as_array(data["nextmove"]),
            data["output"].tolist(),
            norm_probs=True,
            tk_row=_as_array(data["row"]),
            depth=int(data["depth"]),
        )


def _write_cache(path: Path, identifier) -> None:
    """Write the model's tables to a temporary file renamed into place (readers never see half of one);
    where the folder cannot be written, or the identifier has other tables (another py3langid), nothing."""
    try:
        arrays = {
            "ptc": np.asarray(identifier.nb_ptc),
            "pc": np.asarray(identifier.nb_pc),
            "classes": np.array(identifier.nb_classes),
            "nextmove": np.array(identifier.tk_nextmove),
            "row": np.array(identifier.tk_row),
            "output": np.array(identifier.tk_output, dtype=np.int32),
            "depth": np.array(walk_depth(identifier.tk_nextmove, identifier.tk_row)),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".py3langid-", suffix=".npz")
    except (OSError, AttributeError):
        return
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _as_array(values: np.ndarray) -> array:
    """A numpy table as the stdlib array py3langid's tokenizer indexes."""
    return array(_ARRAY_CODES[values.dtype.itemsize], values.tobytes())
