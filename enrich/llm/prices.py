"""Cost estimates: USD per million tokens (input, output) for a few models, overridable by
$NEWSALIGN_LLM_PRICES: a JSON file, or the JSON itself (`{"my-model": [0.2, 0.8]}`; `[0, 0]` for a free
local server)."""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

from newsalign.core.errors import NewsalignError
from newsalign.core.files import parse_json, read_text

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


_Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_TABLE = TypeAdapter(dict[str, tuple[_Price, _Price]])


@cache
def _overrides(value: str) -> dict[str, tuple[float, float]]:
    """The table in $NEWSALIGN_LLM_PRICES: JSON itself when it starts with `{` or `[`, else a JSON file's path."""
    inline = value.lstrip().startswith(("{", "["))
    where = f"${PRICES_ENV}" if inline else f"${PRICES_ENV} file {value}"
    if inline:
        raw = parse_json(value, f"${PRICES_ENV}")
    else:
        raw = parse_json(read_text(value, f"${PRICES_ENV} file"), value, f"${PRICES_ENV} file")
    try:
        return _TABLE.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        at = ".".join(str(part) for part in error["loc"])
        raise NewsalignError(
            f"{where}: expected a JSON object {{model: [input, output]}} of USD per million tokens (numbers >= 0); "
            f"{at + ': ' if at else ''}{error['msg'].lower()}"
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
