"""The monthly interest series and the windows requested for an anchor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

SERIES_MONTHS = 120  # ten years before an article; its 3- and 5-year windows are the last 36 and 60 months of them
ANCHORS = ("published", "fetch")


class SeriesError(ValueError):
    """A source returned something that is not a monthly 0..100 series."""


@dataclass(frozen=True)
class MonthlySeries:
    """Monthly interest, 0..100 relative to the window's peak. No points: Trends has no data."""

    months: tuple[date, ...] = ()
    values: tuple[int, ...] = ()
    partial: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not len(self.months) == len(self.values) == len(self.partial):
            raise SeriesError("months, values and partial flags differ in length")
        if any(not 0 <= v <= 100 for v in self.values):
            raise SeriesError(f"interest outside 0..100: {[v for v in self.values if not 0 <= v <= 100][:3]}")
        for before, after in zip(self.months, self.months[1:]):
            if after != add_months(before, 1):
                raise SeriesError(f"not one point per month: {before} is followed by {after}")

    @property
    def empty(self) -> bool:
        return not self.months


def normalize_topic(topic: str) -> str:
    """The form stored in trend_series.topic; the SQL views apply the same `lower(trim(topic))`."""
    return topic.strip(" ").lower()


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def window(anchor: str, anchor_month: date, today: date) -> tuple[date, date]:
    """The ten years one article needs. `published`: the 120 full months before the publication
    month, so nothing after publication leaks in. `fetch`: the 120 months before the fetch month
    plus the (partial) fetch month itself, as the thesis's `today 10-y` requests did."""
    if anchor == "published":
        return published_span(anchor_month, anchor_month)
    if anchor == "fetch":
        return add_months(month_start(today), -SERIES_MONTHS), today
    raise ValueError(f"anchor must be one of {ANCHORS}, not {anchor!r}")


def published_span(first_month: date, last_month: date) -> tuple[date, date]:
    """The range requested for the articles of one topic published from `first_month` to
    `last_month`: the ten years before the first through the month before the last. Each article's
    windows are slices of it that end before its own publication month."""
    return add_months(first_month, -SERIES_MONTHS), month_start(last_month) - timedelta(days=1)


def timeframe(start: date, end: date) -> str:
    """Google's custom range syntax."""
    return f"{start.isoformat()} {end.isoformat()}"


def from_frame(frame: pd.DataFrame, topic: str) -> MonthlySeries:
    """Convert pytrends' `interest_over_time()` frame (a date index, one integer column per
    keyword, an `isPartial` column) into a series. An empty frame means no Trends data."""
    if frame.empty:
        return MonthlySeries()
    if topic not in frame.columns:
        raise SeriesError(f"the Trends answer has no column for {topic!r} (columns: {list(frame.columns)})")
    index = pd.DatetimeIndex(frame.index)
    months = tuple(d.date() for d in index)
    if any(m.day != 1 for m in months):
        raise SeriesError(
            "Google answered with weekly or daily points; request a range over five years for monthly data"
        )
    partial = frame["isPartial"] if "isPartial" in frame.columns else pd.Series(False, index=frame.index)
    return MonthlySeries(
        months=months,
        values=tuple(int(v) for v in frame[topic]),
        partial=tuple(bool(p) for p in partial),
    )
