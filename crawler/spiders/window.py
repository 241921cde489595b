"""Spider argument values: the `since`/`until` date window, `limit`, and the dates found in sitemaps and feeds."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

# A year-month or year-month-day inside a sitemap URL: sitemap-2024-05.xml, /2024/05/17/, news_2024_05.xml
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_](0[1-9]|1[0-2])(?:[-/_](0[1-9]|[12]\d|3[01]))?(?!\d)")


@dataclass(frozen=True)
class DateWindow:
    """Inclusive UTC date range; either end may be open."""

    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> DateWindow:
        window = cls(_iso_date("since", since), _iso_date("until", until))
        if window.since and window.until and window.since > window.until:
            raise ValueError(f"since ({window.since}) is after until ({window.until})")
        return window

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def contains(self, when: datetime | None) -> bool:
        """True when `when` falls inside; an unknown date is kept (the parser will find it)."""
        if when is None:
            return True
        return self.overlaps(_utc_date(when), _utc_date(when))

    def overlaps(self, first: date, last: date) -> bool:
        return (self.since is None or last >= self.since) and (self.until is None or first <= self.until)

    def may_contain_lastmod(self, lastmod: datetime | None) -> bool:
        """A sitemap (or entry) last changed before `since` holds nothing published since then."""
        return lastmod is None or self.since is None or _utc_date(lastmod) >= self.since

    def __str__(self) -> str:
        return f"window {self.since or '…'} to {self.until or '…'}"


def parse_limit(value: str | int | None) -> int | None:
    if value is None:
        return None
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit <= 0 or str(value).strip() != str(limit):
        raise ValueError(f"limit must be a positive integer, got {value!r}")
    return limit


def url_period(url: str) -> tuple[date, date] | None:
    """The month or day a dated sitemap URL covers, e.g. sitemap-2024-05.xml -> (2024-05-01, 2024-05-31)."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2]), match[3]
    if day:
        return date(year, month, int(day)), date(year, month, int(day))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _iso_date(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be an ISO date like 2024-05-01, got {value!r}") from None


def _utc_date(when: datetime) -> date:
    if when.tzinfo is None:
        return when.date()
    return when.astimezone(timezone.utc).date()
