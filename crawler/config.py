"""The project's Scrapy settings as a `Settings` object, wherever the code runs (no scrapy.cfg needed):
the one loader that spiders run outside `scrapy crawl`, imports and `crawl all` share."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from scrapy.settings import Settings, default_settings

from newsalign.core.errors import NewsalignError
from newsalign.crawler.spiders.reuters import chromium_path

SETTINGS_MODULE = "newsalign.crawler.settings"


def crawl_settings(**overrides: Any) -> Settings:
    """crawler/settings.py with `overrides` on top (at the command line's priority); None values are
    left out, so an unset option keeps the project's default."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def setting_values(pairs: Mapping[str, str]) -> dict[str, Any]:
    """`-s NAME=VALUE` settings, each checked (`checked_setting`), with their values read as JSON where they
    are JSON (numbers, lists, booleans), as text otherwise."""
    return dict(checked_setting(name, value) for name, value in pairs.items())


class SettingError(NewsalignError):
    """A `-s NAME=VALUE` that names no setting, or a value its setting cannot take."""


def _names(value: Any) -> Any:
    """A list setting given as `en,de` on the command line (Scrapy's `getlist` reads it so too)."""
    return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value


Names = Annotated[list[str], BeforeValidator(_names)]
Text = Annotated[str, Field(min_length=1)]


class NewsalignSettings(BaseModel):
    """The settings newsalign defines (crawler/settings.py) and reads (pipelines, jobs), with their types
    and ranges: a `-s` value is checked here before any crawl starts."""

    model_config = ConfigDict(allow_inf_nan=False, arbitrary_types_allowed=True)

    NEWSALIGN_DB: Text | None = None
    NEWSALIGN_LANGUAGES: Names = ["en"]
    NEWSALIGN_MIN_WORDS: Annotated[int, Field(ge=0)] = 150
    NEWSALIGN_MAX_WORDS: Annotated[int, Field(ge=1)] = 20_000
    NEWSALIGN_MIN_YEAR: Annotated[int, Field(ge=1, le=9999)] = 1990
    NEWSALIGN_NEAR_DUP_THRESHOLD: Annotated[float, Field(gt=0, le=1)] = 0.8
    NEWSALIGN_STORE_BATCH: Annotated[int, Field(ge=1)] = 10_000
    NEWSALIGN_STORE_FLUSH_SECONDS: Annotated[float, Field(gt=0)] = 30
    NEWSALIGN_CONDITIONAL_GET: bool = False
    NEWSALIGN_ENRICH: Literal["llm"] | None = None
    NEWSALIGN_ENRICH_CONCURRENCY: Annotated[int, Field(ge=1, le=1024)] = 4
    NEWSALIGN_ENRICH_DRAIN_SECONDS: Annotated[float, Field(ge=0)] = 60
    NEWSALIGN_ENRICH_PROMPT: Text | None = None
    NEWSALIGN_ENRICH_RETRIES: Annotated[int, Field(ge=0)] = 2
    NEWSALIGN_ENRICH_RPM: Annotated[float, Field(gt=0)] | None = None
    NEWSALIGN_ENRICH_TPM: Annotated[float, Field(gt=0)] | None = None
    NEWSALIGN_ENRICH_TIMEOUT: Annotated[float, Field(gt=0)] = 30
    NEWSALIGN_LLM_BASE_URL: Text | None = None
    NEWSALIGN_LLM_MODEL: Text | None = None
    NEWSALIGN_REJECT_PAGE_TYPES: Names = []
    NEWSALIGN_ALLOW_MISSING_URL_DATE: bool = False
    NEWSALIGN_PLAN_WINDOW: Text | None = None  # set by `crawl plan` for each job
    NEWSALIGN_DEDUP_INDEX: Any = None  # set by `crawl all` (an object, not a command-line value)
    NEWSALIGN_PREFLIGHT: Names = ["newsalign.pipeline.writer.check_warehouse"]


# Scrapy's switches whose default is written 1, not True (Scrapy reads them with getbool).
BOOLEANS_AS_NUMBERS = frozenset({"TELNETCONSOLE_ENABLED"})

# Settings of the Scrapy add-on the Reuters spider drives (scrapy-playwright), which defines no list of them.
ADDON_PREFIXES = ("PLAYWRIGHT_",)


def known_settings() -> set[str]:
    """Every setting name Scrapy or newsalign defines."""
    from newsalign.crawler import settings as ours

    modules = (default_settings, ours)
    return {name for module in modules for name in vars(module) if name.isupper()} | set(NewsalignSettings.model_fields)


def checked_setting(name: str, value: Any) -> tuple[str, Any]:
    """`-s NAME=VALUE` as (name, value): a name Scrapy and newsalign do not define is refused with the
    closest one; a newsalign setting's value is checked against its type and range, a Scrapy setting's
    against the type of its default (read the way Scrapy will read it). Text values are parsed as JSON
    where they are JSON."""
    from newsalign.crawler import settings as ours

    known = known_settings()
    if name not in known and not name.startswith(ADDON_PREFIXES):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]}?" if close else "see Scrapy's settings and crawler/settings.py"
        raise SettingError(f"{name}: no such setting ({hint})")
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            pass
    if name in NewsalignSettings.model_fields:
        try:
            NewsalignSettings.model_validate({name: parsed})
        except ValidationError as exc:
            message = exc.errors()[0]["msg"]
            raise SettingError(f"{name}: {message[0].lower()}{message[1:]}, got {value!r}") from None
        return name, parsed
    default = getattr(ours, name, getattr(default_settings, name, None))
    kind = bool if name in BOOLEANS_AS_NUMBERS else type(default)
    getter = {bool: "getbool", int: "getint", float: "getfloat", dict: "getdict"}.get(kind)
    if getter is not None:
        try:
            read = getattr(Settings({name: parsed}), getter)(name)
        except (TypeError, ValueError, OverflowError):
            read = None
        if read is None or (isinstance(read, float) and not math.isfinite(read)):
            what = {"getbool": "true or false", "getint": "a whole number", "getfloat": "a finite number"}
            raise SettingError(f"{name}: must be {what.get(getter, 'a JSON object')}, got {value!r}")
    return name, parsed


def check_settings(values: Mapping[str, Any]) -> None:
    """Settings handed over by code (`crawl all`, crawls in turn), checked as `-s` values are."""
    for name, value in values.items():
        if name != "NEWSALIGN_DEDUP_INDEX":
            checked_setting(name, value)


def chromium_available(settings: Settings | None = None) -> bool:
    """Whether the browser the Reuters spider drives is installed."""
    return Path(chromium_path(settings or crawl_settings())).exists()
