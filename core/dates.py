"""One date parser for every date the project reads: page metadata, sitemaps, feeds, imports."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

# No real date is longer; a hostile 1 MB value took dateutil 70 s (its tokenizer is quadratic).
MAX_DATE_CHARS = 64


def parse_date(value: object) -> datetime | None:
    """An ISO 8601, RFC 822 or otherwise dateutil-readable string as an aware UTC datetime (naive values
    are taken as UTC); None when absent, not a string, too long or unreadable (an offset like +99:00)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_DATE_CHARS:
        return None
    for read in (_iso, parsedate_to_datetime, dateutil_parser.parse):
        try:
            parsed = read(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.astimezone(timezone.utc)
        except (ValueError, TypeError, OverflowError, IndexError):
            continue
    return None


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
