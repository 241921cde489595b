"""Schema.org JSON-LD: find the page's article object among all `<script type="application/ld+json">` blocks.

Handles a single object, a list, an `@graph`, `@type` given as a list, and `{"@id": ...}` references
(TechCrunch's Yoast graph points the article's author at a Person node elsewhere in the graph). A block
that is not valid JSON, too large or too deeply nested is skipped: the meta tags and the body selector
still work without it.
"""

from __future__ import annotations

import html
import json
from typing import Any

MAX_JSONLD_CHARS = 1_000_000  # per block; real article blocks are a few kB
MAX_JSONLD_DEPTH = 16  # lists / @graph unrolled this deep at most (json's own guard stops deeper input)
MAX_JSONLD_NODES = 500  # typed nodes kept per page

# Schema.org types we accept as "an article"; the page's own type is kept in Article.page_type.
ARTICLE_TYPES = frozenset(
    {
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "Article",
        "BlogPosting",
        "Report",
        "TechArticle",
        "LiveBlogPosting",
    }
)


def types_of(node: dict) -> list[str]:
    t = node.get("@type", [])
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)]


def load_nodes(blocks: list[str]) -> list[dict]:
    """Every JSON-LD object on the page, flattened (lists and @graph unrolled); invalid blocks skipped."""
    nodes: list[dict] = []
    for text in blocks:
        if len(text) > MAX_JSONLD_CHARS:
            continue
        try:
            value = json.loads(text)
        except RecursionError:  # nested deeper than the interpreter's stack: not a real block
            continue
        except ValueError:
            # Some sites emit a trailing comma or raw control characters; try once with them tolerated.
            try:
                value = json.loads(text, strict=False)
            except (ValueError, RecursionError):
                continue
        nodes += _typed_nodes(value)
    return nodes[:MAX_JSONLD_NODES]


def _typed_nodes(value: Any) -> list[dict]:
    """The objects with an @type in `value`, in document order (an @graph's nodes before its owner),
    lists and @graph unrolled at most MAX_JSONLD_DEPTH deep."""
    out: list[dict] = []
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack and len(out) < MAX_JSONLD_NODES:
        value, depth = stack.pop()
        if depth < 0:  # an owner whose @graph has been unrolled
            out.append(value)
        elif depth > MAX_JSONLD_DEPTH:
            continue
        elif isinstance(value, list):
            stack += [(item, depth + 1) for item in reversed(value)]
        elif isinstance(value, dict):
            if "@type" in value:
                stack.append((value, -1))
            if "@graph" in value:
                stack.append((value["@graph"], depth + 1))
    return out


def find_article(nodes: list[dict]) -> dict | None:
    """The first node whose @type is an article type, or None."""
    for node in nodes:
        if ARTICLE_TYPES.intersection(types_of(node)):
            return node
    return None


def resolve(value: Any, nodes: list[dict]) -> Any:
    """Follow a `{"@id": ...}` reference to the full node, when the page has it."""
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and "@id" in value:
        for node in nodes:
            if node.get("@id") == value["@id"] and len(node) > len(value):
                return node
    return value


def text(value: Any) -> str | None:
    """A JSON-LD string value with HTML entities decoded (TechRadar and TechCrunch escape them)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id")
    if not isinstance(value, str):
        return None
    return html.unescape(html.unescape(value)).strip() or None


def names(value: Any, nodes: list[dict]) -> list[str]:
    """Author names from a JSON-LD `author` value (a string, an object, a list, or @id references)."""
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        item = resolve(item, nodes)
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            name = item.get("name") or item.get("byline")  # Reuters 2023 uses "byline"
            if isinstance(name, str):
                out.append(name)
    return [html.unescape(n) for n in out]


def strings(value: Any) -> list[str]:
    """A keywords/section value as a list of strings (a list, or one comma-separated string)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [html.unescape(v).strip() for v in value if isinstance(v, str) and v.strip()]
