"""Items shared by every spider. Plain dataclasses with no logic (Scrapy handles them via ItemAdapter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Article:
    """One news article, the same shape for every source."""

    id: str
    source: str
    url: str | None
    title: str
    date_published: datetime | None  # timezone-aware UTC
    text: str
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    fetched_at: datetime | None = None  # timezone-aware UTC
    page_type: str = "article"  # the page's own type, e.g. NewsArticle, ReportageNewsArticle
    content_hash: str | None = None  # set by the normalize pipeline: hash of the cleaned text
    word_count: int | None = None  # set by the normalize pipeline


@dataclass
class PageRejected:
    """A page that gave no article: not an article (live blog, video, index, consent or bot-check page,
    stage `parse`), or never fetched (a timeout, an HTTP error, robots.txt, stage `download`)."""

    source: str
    url: str
    reason: str  # short machine-readable reason, e.g. "live_blog", "bot_protection", "timeout"
    detail: str = ""
    stage: str = "parse"
