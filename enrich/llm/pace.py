"""Pacing: stay under the provider's requests- and tokens-per-minute limits instead of meeting them
as 429 storms. Client-side limits come from options (aiolimiter's leaky buckets); the server's own
`x-ratelimit-remaining-*` / `x-ratelimit-reset-*` headers pause every worker until the reset when a
budget runs out."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping

from aiolimiter import AsyncLimiter

from newsalign.core.errors import NewsalignError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def parse_reset(text: str) -> float | None:
    """OpenAI's reset durations ("20ms", "1s", "6m0s", "1h2m3.5s", or bare seconds) in seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            return None
        return sum(float(n) * _SECONDS[u] for n, u in parts)


class Pacer:
    def __init__(self, *, rpm: float | None = None, tpm: float | None = None):
        for name, value in (("requests per minute", rpm), ("tokens per minute", tpm)):
            if value is not None and value <= 0:
                raise NewsalignError(f"{name} must be above 0 (or unset for no limit), not {value:g}")
        # Requests evenly spaced (a bucket of one): a burst would break a limit the server enforces
        # over seconds, as OpenAI does. Tokens may burst up to a minute's budget.
        self._requests = AsyncLimiter(1, 60 / rpm) if rpm else None
        self._tokens = AsyncLimiter(tpm, 60) if tpm else None
        self._resume_at = 0.0

    async def wait(self, tokens: int) -> None:
        """Wait until one request of about `tokens` tokens may be sent."""
        while (delay := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if self._requests:
            await self._requests.acquire()
        if self._tokens:
            await self._tokens.acquire(min(tokens, self._tokens.max_rate))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause until the server's reset when it says a budget is used up."""
        for kind in ("requests", "tokens"):
            remaining, reset = headers.get(f"x-ratelimit-remaining-{kind}"), headers.get(f"x-ratelimit-reset-{kind}")
            if remaining is None or reset is None:
                continue
            seconds = parse_reset(reset)
            try:
                spent = float(remaining) <= 0
            except ValueError:
                continue
            if spent and seconds:
                self._resume_at = max(self._resume_at, time.monotonic() + seconds)
