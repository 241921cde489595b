"""Several topics per Trends request. Google compares up to five terms in one request and scales
them together (0..100 relative to the highest of them); each article's growth figures are ratios of
windows within one topic's series, so the shared scale cancels. What sharing costs is precision for
a topic far less popular than its companions: its values become small integers or zeros. So
companions are chosen alike (same time span, then measured levels); a topic whose shared answer does
not settle its labels (`precision.settled`) is asked again beside topics of its measured level, and
alone only if that answer does not settle them either."""

from __future__ import annotations

from collections.abc import Iterable

from newsalign.enrich.trends.series import MonthlySeries
from newsalign.enrich.trends.store import Known, Request

MAX_TERMS = 5  # Google Trends compares at most five terms in one request
SPAN_SLACK = 12  # months a shared request may reach beyond a member's own span, at either end
LEVEL_SPREAD = 4  # a companion of known level at most this many times below its request's leader


def months_between(a, b) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def split(
    requests: Iterable[Request], known: dict[str, Known], size: int = MAX_TERMS
) -> tuple[list[Request], list[Request], list[Request]]:
    """(first asked in shared requests, regrouped by measured level, asked alone)."""
    first, regroup, alone = [], [], []
    for request in requests:
        k = known.get(request.topic, Known())
        (alone if size == 1 or k.alone else regroup if k.regroup else first).append(request)
    return first, regroup, alone


def groups(requests: Iterable[Request], levels: dict[str, float | None], size: int = MAX_TERMS) -> list[list[Request]]:
    """Shared requests of up to `size` topics whose spans lie within SPAN_SLACK months of each other,
    ordered by level (most popular first; unknown levels last) and, where levels are known, within
    LEVEL_SPREAD of the leader's, so companions are comparable."""

    def order(r: Request):
        level = levels.get(r.topic)
        return r.end, r.start, level is None, -(level or 0), r.topic

    out: list[list[Request]] = []
    for request in sorted(requests, key=order):
        group = out[-1] if out else None
        if (
            group is not None
            and len(group) < size
            and months_between(group[0].end, request.end) <= SPAN_SLACK
            and months_between(min(r.start for r in group), request.start) <= SPAN_SLACK
            and not _far_below(levels.get(request.topic), levels.get(group[0].topic))
        ):
            group.append(request)
        else:
            out.append([request])
    return out


def _far_below(level: float | None, leader: float | None) -> bool:
    return level is not None and leader is not None and level * LEVEL_SPREAD < leader


def span(group: list[Request]):
    """The range one shared request asks for: every member's own range."""
    return min(r.start for r in group), max(r.end for r in group)


def measure(answers: dict[str, MonthlySeries], levels: dict[str, float | None]) -> dict[str, float]:
    """Each topic's level from one shared answer: its peak there, put on the scale of `levels` through
    the companion of known level with the highest peak (the most precise link); with none known, the
    request's own scale (its leader = 100). A topic rounded to 0 throughout is put at 0.25 (< 0.5)."""
    peaks = {topic: max(series.values, default=0) for topic, series in answers.items()}
    links = [t for t in peaks if levels.get(t) and peaks[t]]
    scale = 1.0
    if links:
        link = max(links, key=lambda t: peaks[t])
        scale = levels[link] / peaks[link]
    return {topic: scale * (peak or 0.25) for topic, peak in peaks.items()}
