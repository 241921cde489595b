"""`--shard i/N`: split enrichment work over processes or machines by a stable hash of its key."""

from __future__ import annotations

import hashlib
import re

from newsalign.core.errors import NewsalignError

Shard = tuple[int, int]  # (i, N), 1 <= i <= N
_SHARD = re.compile(r"^(\d+)/(\d+)$")


def parse_shard(text: str | None) -> Shard | None:
    """`i/N` (1 ≤ i ≤ N) → (i, N); None for no sharding."""
    if text is None:
        return None
    match = _SHARD.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise NewsalignError(f"--shard must be i/N with 1 <= i <= N (e.g. --shard 2/4), not {text!r}")
    return int(match.group(1)), int(match.group(2))


def in_shard(key: str, shard: Shard | None) -> bool:
    """Stable across machines and Python runs (unlike hash()): every key lands in exactly one shard."""
    if shard is None:
        return True
    index, count = shard
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % count == index - 1
