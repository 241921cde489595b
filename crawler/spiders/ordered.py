"""Backfills through numbered sitemaps (`post-sitemap.xml`, `post-sitemap2.xml`, ...), which WordPress sites
list oldest first and without dates in their names: find the few that can hold a `since`/`until` window by
reading O(log n) of them, judging each by the publication dates its article URLs carry (`/2024/05/17/`).

Hand-written because no sitemap library plans reads: Scrapy's own `SitemapSpider` reads every child. A
child whose URLs carry no dates cannot be placed, so the search falls back to reading what is left."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from newsalign.crawler.spiders.window import DateWindow

_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<n>\d*)\.xml(?:\.gz)?(?:\?.*)?$")
MIN_CHILDREN = 4  # fewer than this: reading them all costs about as much as searching


def numbered_groups(urls: list[str]) -> list[list[str]]:
    """The URLs that differ only by a trailing number, oldest first (no number = 1), in groups of at least
    MIN_CHILDREN; other URLs are left out."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for url in urls:
        match = _NUMBERED.match(url)
        if match:
            groups.setdefault(match["stem"], []).append((int(match["n"] or 1), url))
    return [[url for _, url in sorted(g)] for g in groups.values() if len(g) >= MIN_CHILDREN]


@dataclass
class Bisection:
    """Which children of one ordered group to read next, given the date span each read one covered."""

    children: list[str]
    window: DateWindow
    lo: int = 0
    hi: int = -1
    hit: int | None = None
    read: set[int] = field(default_factory=set)
    fallback: bool = False
    pending: int = 0  # children asked for and not yet observed

    def __post_init__(self) -> None:
        self.hi = len(self.children) - 1

    def first(self) -> list[int]:
        return self._probe((self.lo + self.hi) // 2)

    def observe(self, i: int, span: tuple[date, date] | None) -> list[int]:
        """Child `i` covered `span` (its first and last URL dates; None when its URLs carry none): the next
        children to read."""
        self.pending -= 1
        if span is None:  # cannot place this child: read every child not ruled out yet
            self.fallback = True
            rest = [j for j in range(self.lo, self.hi + 1) if j not in self.read]
            self.read.update(rest)
            self.pending += len(rest)
            return rest
        first, last = span
        before = self.window.since is not None and last < self.window.since
        after = self.window.until is not None and first > self.window.until
        if self.hit is None:  # still searching
            if before:
                self.lo = i + 1
            elif after:
                self.hi = i - 1
            else:
                self.hit = i
                return [*self._probe(i - 1), *self._probe(i + 1)]
            return self._probe((self.lo + self.hi) // 2) if self.lo <= self.hi else []
        if i < self.hit and not before:  # expanding towards older children
            return self._probe(i - 1)
        if i > self.hit and not after:  # expanding towards newer children
            return self._probe(i + 1)
        return []

    def _probe(self, i: int) -> list[int]:
        if self.lo <= i <= self.hi and i not in self.read:
            self.read.add(i)
            self.pending += 1
            return [i]
        return []

    @property
    def done(self) -> bool:
        return self.pending == 0

    @property
    def skipped(self) -> int:
        return len(self.children) - len(self.read)
