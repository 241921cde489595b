"""Small normalisers shared by every source: URLs, titles, author names, dates, language codes."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

from dateutil import parser as dateutil_parser

from newsalign.pipeline.text import strip_tracking


def clean_url(url: str) -> str:
    """Drop tracking parameters (the normalize stage's list) and the fragment; keep everything else as given."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, strip_tracking(parts.query), ""))


def canonical_url(candidates: list[str | None], page_url: str) -> str:
    """The first absolute http(s) candidate (canonical link, og:url), else the page URL; cleaned."""
    for candidate in candidates:
        if candidate and candidate.strip():
            absolute = urljoin(page_url, candidate.strip())
            if urlsplit(absolute).scheme in ("http", "https"):
                return clean_url(absolute)
    return clean_url(page_url)


def strip_title(title: str, suffix: re.Pattern[str] | None) -> str:
    title = " ".join(title.split())
    if suffix is not None:
        title = suffix.sub("", title).strip()
    return title


_BY = re.compile(r"^\s*(?:by|written by|words by)\s+", re.I)
_AND = re.compile(r"\s*(?:,|\band\b|&)\s*")


def clean_authors(raw: list[str]) -> list[str]:
    """Names without "By ", split on "and"/commas, URLs dropped, duplicates removed (order kept)."""
    out: list[str] = []
    for value in raw:
        value = _BY.sub("", " ".join(value.split()))
        for name in _AND.split(value):
            name = name.strip(" .;|")
            if name and "://" not in name and name not in out:
                out.append(name)
    return out


def parse_date(value: str | None) -> datetime | None:
    """An ISO-8601-ish string as a tz-aware UTC datetime (naive values are taken as UTC)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = dateutil_parser.parse(value.strip())
        except (ValueError, OverflowError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def language(value: str | None) -> str | None:
    """ "en-GB", "en_US", "EN" -> "en"."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
