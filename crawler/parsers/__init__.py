"""Article parsing, one module per source. Spiders call `parse_page(self.name, response.body, response.url)`.

Each page is decoded and parsed once (`page.Page`); the source's `SiteParser` reads JSON-LD and meta tags
for the metadata, its own body container for the text (trafilatura only as a fallback), and returns an
`Article`, or a `PageRejected` for live blogs, videos, index, consent and bot-check pages.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from newsalign.core.errors import NewsalignError
from newsalign.core.text import encodable
from newsalign.crawler.items import Article, PageRejected
from newsalign.crawler.parsers import bbc, guardian, reuters, techcrunch, techradar, wccftech
from newsalign.crawler.parsers.base import SiteParser
from newsalign.crawler.parsers.page import Page

PARSERS: dict[str, SiteParser] = {
    m.PARSER.name: m.PARSER for m in (bbc, guardian, techcrunch, techradar, wccftech, reuters)
}
SOURCES: tuple[str, ...] = tuple(PARSERS)


def parse_page(
    source: str, html: str | bytes, url: str, *, fetched_at: datetime | None = None, rules: dict | None = None
) -> Article | PageRejected:
    """Parse one fetched page of `source` into an Article, or say why it is not one.

    `rules`, when given, is filled with field -> the rule that gave it (`newsalign parse --explain`)."""
    parser = PARSERS.get(source)
    if parser is None:
        raise NewsalignError(f"unknown source {source!r}; valid sources: {', '.join(SOURCES)}")
    page = Page.load(source, html, url)
    if page is None:
        return _encodable(PageRejected(source, url, "malformed", "empty or unparseable HTML"))
    result = parser.parse(page, fetched_at)
    if rules is not None:
        rules.update(page.rules)
    return _encodable(result)


def _encodable(item: Article | PageRejected) -> Article | PageRejected:
    """Every string of `item` encodable as UTF-8 (a lone surrogate in one page once blocked every later
    warehouse flush)."""
    changes = {}
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if isinstance(value, str):
            changes[f.name] = encodable(value)
        elif isinstance(value, list):
            changes[f.name] = [encodable(v) if isinstance(v, str) else v for v in value]
    return dataclasses.replace(item, **changes)


__all__ = ["SOURCES", "parse_page", "Article", "PageRejected"]
