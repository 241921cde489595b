"""The project's Scrapy settings as a `Settings` object, wherever the code runs (no scrapy.cfg needed):
the one loader that spiders run outside `scrapy crawl`, imports and `crawl all` share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

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
    """`-s NAME=VALUE` settings with their values read as JSON where they are JSON (numbers, lists,
    booleans), as text otherwise."""
    values = {}
    for name, value in pairs.items():
        try:
            values[name] = json.loads(value)
        except json.JSONDecodeError:
            values[name] = value
    return values


def chromium_available(settings: Settings | None = None) -> bool:
    """Whether the browser the Reuters spider drives is installed."""
    return Path(chromium_path(settings or crawl_settings())).exists()
