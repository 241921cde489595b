"""MinHash near-duplicates, one definition for crawl-time dedup (`pipeline/dedup.py`) and the training
export's split groups (`training/export.py`): the parameters, the signature, and the near-duplicate check
(`NearDuplicates.matches`: an LSH candidate whose estimated Jaccard similarity is at least the threshold).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Hashable, Iterable
from functools import cache

import numpy as np
import xxhash


def _import_datasketch() -> None:
    """datasketch, without the `scipy.integrate` its package import pulls in (`datasketch.lsh` imports `quad`
    for MinHashLSH's parameter search): ~0.35 s of CPU at the start of every crawl, import and CLI process,
    for a search `lsh_params` runs only for a threshold other than THRESHOLD. Written by hand because
    datasketch has no lighter entry point: while it is imported, a stand-in module answers for
    `scipy.integrate` with a `quad` that imports the real one when first called; the stand-in is then
    removed, so any later `import scipy.integrate` loads the real module."""
    if "scipy.integrate" in sys.modules:
        return

    def quad(*args, **kwargs):
        from scipy.integrate import quad as real_quad

        return real_quad(*args, **kwargs)

    standin = types.ModuleType("scipy.integrate")
    standin.quad = quad  # type: ignore[attr-defined]
    sys.modules["scipy.integrate"] = standin
    try:
        import datasketch  # noqa: F401
    finally:
        if sys.modules.get("scipy.integrate") is standin:
            del sys.modules["scipy.integrate"]


_import_datasketch()
from datasketch import LeanMinHash, MinHash, MinHashLSH  # noqa: E402  (imported above, without scipy.integrate)

NUM_PERM = 128
SHINGLE_WORDS = 3
SEED = 1
SCHEME = "affine32"
THRESHOLD = 0.8  # estimated Jaccard similarity of word 3-shingles at which two texts are near-duplicates
THRESHOLD_PARAMS = (9, 13)  # MinHashLSH's (bands, rows) for THRESHOLD and NUM_PERM (a test checks datasketch agrees)
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)


def signature(words: list[str]) -> LeanMinHash:
    """MinHash of the word 3-shingles (xxhash32 per shingle; stable across processes). A text of fewer
    words than a shingle is one shingle of them all."""
    if len(words) < SHINGLE_WORDS:
        shingles = [" ".join(words)]
    else:  # zipped shifted lists: ~2.5x faster than slicing a list per shingle
        shingles = map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS))))
    m = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=xxhash.xxh32_intdigest,
        permutations=_TEMPLATE.permutations,
        scheme=SCHEME,
    )
    m.update_batch([s.encode("utf-8") for s in shingles])
    return LeanMinHash(m)


def from_hashvalues(hashvalues) -> LeanMinHash:
    """A stored signature (`article_fingerprints.minhash`) back as a LeanMinHash."""
    return LeanMinHash(seed=SEED, hashvalues=np.asarray(hashvalues), scheme=SCHEME)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' hash values."""
    return float(np.mean(a == b))


@cache
def lsh_params(threshold: float = THRESHOLD) -> tuple[int, int]:
    """The LSH's (bands, rows) for `threshold`: THRESHOLD_PARAMS, else datasketch integrates to choose them
    (~10 ms, and scipy.integrate's import), once per process."""
    if threshold == THRESHOLD:
        return THRESHOLD_PARAMS
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


class NearDuplicates:
    """Signatures under keys, asked which of them a signature near-duplicates: its LSH candidates whose estimated
    Jaccard similarity is at least `threshold` (the LSH keeps only band hashes, so the hash values stay beside it)."""

    def __init__(self, threshold: float = THRESHOLD):
        self.threshold = threshold
        self.lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_params(threshold))
        self.hashvalues: dict[Hashable, np.ndarray] = {}

    def insert(self, key: Hashable, sig: LeanMinHash) -> None:
        self.lsh.insert(key, sig)
        self.hashvalues[key] = sig.hashvalues

    def insert_many(self, signatures: Iterable[tuple[Hashable, LeanMinHash]]) -> None:
        """Insert (key, signature) pairs in one LSH insertion session."""
        with self.lsh.insertion_session() as session:
            for key, sig in signatures:
                session.insert(key, sig)
                self.hashvalues[key] = sig.hashvalues

    def remove(self, key: Hashable) -> None:
        """Forget `key`, if it is held."""
        if self.hashvalues.pop(key, None) is not None:
            self.lsh.remove(key)

    def matches(self, sig: LeanMinHash) -> list[tuple[Hashable, float]]:
        """(key, estimated similarity) of every held signature that `sig` near-duplicates."""
        return [
            (key, sim)
            for key in self.lsh.query(sig)
            if (sim := similarity(self.hashvalues[key], sig.hashvalues)) >= self.threshold
        ]


def near_duplicate_pairs(signatures: list, threshold: float = THRESHOLD) -> list[tuple[int, int]]:
    """(i, j), i < j, for every near-duplicate pair among `signatures` (hash-value arrays)."""
    minhashes = [from_hashvalues(values) for values in signatures]
    near = NearDuplicates(threshold)
    near.insert_many(enumerate(minhashes))
    return [(i, j) for i, minhash in enumerate(minhashes) for j, _ in near.matches(minhash) if i < j]


def groups(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """A group number for each of `n` items: the connected components of the `pairs` graph."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, cols = zip(*pairs) if pairs else ((), ())
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]
