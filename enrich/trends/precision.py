"""Does a rounded Trends series settle its labels? Google rounds each value to an integer, so a
stored v stands for any true value in [v - 0.5, v + 0.5] (0: [0, 0.5)). From those intervals follow
intervals of each growth figure the labels read (g3, g5, g10 and the rising means, per publication
month, cut as `int_topics_growth` cuts them); a series is `settled` when every rule's outcome (thesis,
rising, with the label_params thresholds) is the same over the whole of them and each growth figure
is known to within TOLERANCE. A settled series gives the labels the true values give, whatever
the rounding hid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from newsalign.enrich.trends.series import MonthlySeries

TOLERANCE = 0.05  # a kept growth figure is within 5% of the true one (worst case): measured, docs/enrich-trends.md
EPS = 1e-9  # the labels' tie tolerance (int_topics_growth)
WINDOWS = (36, 60, 120)  # g3, g5, g10


@dataclass(frozen=True)
class Rules:
    """The label settings the growth figures are judged by (stg_label_params' names)."""

    g5_over_g3: float = 1.64
    g10_over_g5: float = 1.9
    rise_months: int = 12
    min_rise: float = 0.2
    window_rescale: bool = True
    include_partial: bool = False

    @classmethod
    def of(cls, params: dict) -> Rules:
        return cls(**{name: params[name] for name in cls.__dataclass_fields__})


def cuts(series: MonthlySeries, serves: tuple[date, ...], include_partial: bool) -> list[tuple[int, ...]]:
    """The points the labels read for each publication month in `serves` (those before it; for
    `fetch`, no months: the whole series), a partial last point dropped unless `include_partial`."""
    ends = [sum(m < month for m in series.months) for month in serves] if serves else [len(series.values)]
    out = []
    for n in ends:
        if n and not include_partial and series.partial[n - 1]:
            n -= 1
        out.append(series.values[:n])
    return out


@dataclass(frozen=True)
class Span:
    """Bounds of a window's sum and peak, from the rounding intervals of its values."""

    sum_lo: float
    sum_hi: float
    peak_lo: float
    peak_hi: float
    zero: bool  # every value rounded to 0

    @classmethod
    def of(cls, values) -> Span:
        lo = [max(v - 0.5, 0.0) for v in values]
        hi = [v + 0.5 for v in values]
        return cls(sum(lo), sum(hi), max(lo, default=0.0), max(hi, default=0.0), not any(values))


def _div(a: float, b: float) -> float:
    return a / b if b else float("inf")


def growth_bounds(v, rescale: bool) -> list[tuple[float, float]]:
    """(low, high) of g3, g5, g10 for the points `v` (oldest first)."""
    out = []
    for n in WINDOWS:
        s = Span.of(v[-n:])
        if not rescale:
            out.append((s.sum_lo, s.sum_hi))
        elif s.zero:  # truly 0, or a positive window: then its rescaled sum is 100 to 100 × its length
            out.append((0.0, 100.0 * len(v[-n:])))
        else:
            out.append((max(100.0, 100 * s.sum_lo / s.peak_hi), 100 * s.sum_hi / s.peak_lo))
    return out


def ratio_bounds(v, inner: int, outer: int, rescale: bool) -> tuple[float, float]:
    """Bounds of g_outer / g_inner: (1 + older / inner sum) × min(1, inner peak / older peak), the two
    sums and peaks over disjoint months, so no month's rounding is counted twice."""
    inner_s, older = Span.of(v[-inner:]), Span.of(v[-outer:-inner] if len(v) > inner else ())
    lo = 1 + older.sum_lo / inner_s.sum_hi
    hi = 1 + _div(older.sum_hi, inner_s.sum_lo)
    if rescale and older.peak_hi:
        lo *= min(1.0, inner_s.peak_lo / older.peak_hi)
        hi *= min(1.0, _div(inner_s.peak_hi, older.peak_lo))
    return lo, hi


def _at_least(lo: float, hi: float, k: float) -> bool | None:
    """x >= k for every x in [lo, hi]: True, False, or None (undetermined)."""
    return True if lo >= k - EPS else False if hi < k - EPS else None


def _and(*parts: bool | None) -> bool | None:
    return False if False in parts else None if None in parts else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    return True if True in (a, b) else None if None in (a, b) else False


def outcomes(v, rules: Rules) -> tuple[bool | None, bool | None]:
    """The thesis and rising rules' outcomes for points `v`, None where the rounding leaves it open."""
    if not v:
        return False, False
    w3, w5 = v[-36:], v[-60:]
    g3_zero = None if not any(w3) else False
    r53 = None if not any(w3) else _at_least(*ratio_bounds(v, 36, 60, rules.window_rescale), rules.g5_over_g3)
    g5_positive = True if any(w5) else None
    r105 = None if not any(w5) else _at_least(*ratio_bounds(v, 60, 120, rules.window_rescale), rules.g10_over_g5)
    thesis = _and(_or(g3_zero, r53), g5_positive, r105)
    n = rules.rise_months
    if len(v) < 2 * n:
        return thesis, False
    recent, prior = Span.of(v[-n:]), Span.of(v[-2 * n : -n])
    k = 1 + rules.min_rise
    ratio = (
        True if recent.sum_lo >= k * prior.sum_hi - EPS else False if recent.sum_hi < k * prior.sum_lo - EPS else None
    )
    rising = _and(True if any(v[-n:]) else None, ratio)
    return thesis, rising


def settled(series: MonthlySeries, serves: tuple[date, ...], rules: Rules, tolerance: float = TOLERANCE) -> bool:
    """Every label outcome determined and every growth figure within `tolerance` (half the
    interval's width over its middle), for every publication month the series serves."""
    if series.empty:
        return False
    for v in cuts(series, serves, rules.include_partial):
        if None in outcomes(v, rules):
            return False
        for lo, hi in growth_bounds(v, rules.window_rescale):
            if hi - lo > tolerance * (hi + lo):
                return False
    return True
