"""Cost estimates: USD per million tokens (input, output) for a few models, overridable by a JSON
file named in $NEWSALIGN_LLM_PRICES (`{"my-model": [0.2, 0.8]}`; `[0, 0]` for a free local server)."""

from __future__ import annotations

import json
import os
from functools import cache

from newsalign.core.errors import NewsalignError

PRICES_ENV = "NEWSALIGN_LLM_PRICES"
BATCH_DISCOUNT = 0.5  # the Batch API bills half the synchronous price
DEFAULT_PRICES = {  # OpenAI list prices, standard tier, 2025
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
}


@cache
def _overrides(path: str) -> dict[str, tuple[float, float]]:
    try:
        raw = json.loads(open(path, encoding="utf-8").read())
        return {model: (float(p[0]), float(p[1])) for model, p in raw.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise NewsalignError(
            f"${PRICES_ENV}={path}: expected a JSON object {{model: [input, output]}}: {exc}"
        ) from None


def price_table() -> dict[str, tuple[float, float]]:
    path = os.environ.get(PRICES_ENV)
    return {**DEFAULT_PRICES, **(_overrides(path) if path else {})}


def price(model: str) -> tuple[float, float] | None:
    """The price of `model`, matching a dated name (gpt-4o-mini-2024-07-18) by its longest known prefix."""
    table = price_table()
    matches = [name for name in table if model == name or model.startswith(name + "-")]
    return table[max(matches, key=len)] if matches else None


def cost_usd(
    model: str, prompt_tokens: int | None, completion_tokens: int | None, *, batch: bool = False
) -> float | None:
    found = price(model)
    if found is None or prompt_tokens is None:
        return None
    per_input, per_output = found
    cost = (prompt_tokens * per_input + (completion_tokens or 0) * per_output) / 1e6
    return cost * BATCH_DISCOUNT if batch else cost
