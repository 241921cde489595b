"""Several topics per Trends request. Google compares up to five terms in one request and scales
them together (0..100 relative to the highest of them); each article's growth figures are ratios of
windows within one topic's series, so the shared scale cancels. What sharing costs is precision for
a topic far less popular than its companions: its values become small integers or zeros. So
companions are chosen to be alike (same time span, then stored levels), and a topic whose shared
answer is coarse is asked again alone (`coarse`)."""

from __future__ import annotations

from collections.abc import Iterable

from newsalign.enrich.trends.series import MonthlySeries, add_months
from newsalign.enrich.trends.store import Request

MAX_TERMS = 5  # Google Trends compares at most five terms in one request
MIN_PEAK = 25  # measured in bench/bench_trends.py: see docs/enrich-trends.md
SPAN_SLACK = 12  # months a shared request may reach beyond a member's own span, at either end
WINDOW = 36  # the narrowest window the labels read (3 years); its peak rescales g3


def months_between(a, b) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def groups(
    requests: Iterable[Request], stored: dict[str, tuple[bool, int | None]], size: int = MAX_TERMS
) -> list[list[Request]]:
    """Split requests into shared ones of up to `size` topics and lone ones. `stored`: topic →
    (ask alone, level), from earlier answers (`store.levels`): a topic that was coarse in a shared
    request, or has no Trends data, is asked alone; the rest are grouped by time span (members'
    spans within SPAN_SLACK months of each other), most popular first by their stored level."""
    alone, shared = [], []
    for request in requests:
        (alone if size == 1 or stored.get(request.topic, (False, None))[0] else shared).append(request)

    def order(r: Request):
        level = stored.get(r.topic, (False, None))[1]
        return r.end, r.start, level is None, -(level or 0), r.topic

    shared_groups: list[list[Request]] = []
    for request in sorted(shared, key=order):
        group = shared_groups[-1] if shared_groups else None
        if (
            group is not None
            and len(group) < size
            and months_between(group[0].end, request.end) <= SPAN_SLACK
            and months_between(min(r.start for r in group), request.start) <= SPAN_SLACK
        ):
            group.append(request)
        else:
            shared_groups.append([request])
    return shared_groups + [[r] for r in alone]


def span(group: list[Request]):
    """The range one shared request asks for: every member's own range."""
    return min(r.start for r in group), max(r.end for r in group)


def window_peak(series: MonthlySeries, request: Request) -> int:
    """The lowest peak of the 3-year windows the labels cut from `series` for `request`'s articles
    (the WINDOW months before each publication month it serves; for `fetch`, its last WINDOW months).
    Rounding to integers costs a window up to 0.5 / peak of its rescaled sum."""
    if series.empty:
        return 0
    ends = list(request.serves) or [add_months(series.months[-1], 1)]
    peaks = []
    for end in ends:
        values = [v for m, v in zip(series.months, series.values) if add_months(end, -WINDOW) <= m < end]
        peaks.append(max(values, default=0))
    return min(peaks, default=0)


def coarse(series: MonthlySeries, request: Request, min_peak: int = MIN_PEAK) -> bool:
    """A shared answer too coarse to keep: a 3-year window peaks below `min_peak`, or no data at all
    (alone, Google may still find some: a topic with no data answers zeros beside its companions)."""
    return series.empty or window_peak(series, request) < min_peak
