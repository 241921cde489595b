"""One fetched page, decoded and parsed once: the lxml tree, its meta tags and JSON-LD nodes.

Every later step (rejection checks, metadata, body selector, trafilatura fallback) reads this object,
so the HTML is decoded and parsed a single time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from newsalign.core.text import encodable
from newsalign.crawler.parsers import jsonld

# Caps on what is read from a page, so hostile input costs bounded time (lxml checks attributes for
# duplicates pairwise: 200,000 attributes on one tag took it over 120 s).
MAX_TAG_ATTRS = 500  # attributes kept per tag; real tags have a few dozen
MAX_META_CHARS = 4_096  # a longer meta value is not a real title, date or name: ignored
# A tag whose attribute text runs this long is checked for its attribute count (2 characters per attribute at least).
_LONG_TAG = re.compile(rf"<[a-zA-Z][^<>]{{{2 * MAX_TAG_ATTRS},}}")
_ATTR = re.compile(r"""\s+[^\s=<>"'/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")


def decode(body: str | bytes) -> str:
    """Bytes to text using the BOM, then `<meta charset>`, then detection; bad bytes are replaced.

    w3lib (shipped with Scrapy) does what browsers do here, so a page with invalid UTF-8 still decodes.
    """
    if isinstance(body, str):
        return encodable(body)
    _, text = html_to_unicode(None, body)
    return text


def cap_attributes(html: str) -> str:
    """`html` with every tag cut to its first MAX_TAG_ATTRS attributes."""
    pieces, last = [], 0
    for tag in _LONG_TAG.finditer(html):
        attrs = _ATTR.finditer(html, tag.start() + 1, tag.end())
        for count, attr in enumerate(attrs, 1):
            if count == MAX_TAG_ATTRS:
                pieces += [html[last : attr.end()], ">" if tag.end() == len(html) or html[tag.end()] != ">" else ""]
                last = tag.end()
                break
    return "".join(pieces) + html[last:] if pieces else html


@dataclass
class Page:
    source: str
    url: str
    html: str
    tree: lxml.html.HtmlElement
    meta: dict[str, list[str]] = field(default_factory=dict)
    nodes: list[dict] = field(default_factory=list)
    article: dict | None = None  # the JSON-LD article node, if any
    rules: dict[str, str] = field(default_factory=dict)  # field -> the rule that gave it (`parse --explain`)

    @classmethod
    def load(cls, source: str, body: str | bytes, url: str) -> Page | None:
        """Parse the page; None when there is no HTML document at all."""
        text = cap_attributes(decode(body))  # the capped text is what the trafilatura fallback reads too
        if not text.strip():
            return None
        try:
            parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True)
            tree = lxml.html.document_fromstring(text, parser=parser)
        except (etree.ParserError, ValueError):
            return None
        meta: dict[str, list[str]] = {}
        for el in tree.iter("meta"):
            key = el.get("property") or el.get("name") or el.get("itemprop")
            content = el.get("content") or el.get("value")  # `value=`: some 2010-2014 templates
            if key and content and content.strip() and len(content) <= MAX_META_CHARS:
                meta.setdefault(key.strip().lower(), []).append(content.strip())
        blocks = [
            s.text for s in tree.iter("script") if s.get("type", "").strip().lower() == "application/ld+json" and s.text
        ]
        nodes = jsonld.load_nodes(blocks)
        return cls(source, url, text, tree, meta, nodes, jsonld.find_article(nodes))

    def first_meta(self, *keys: str) -> str | None:
        for key in keys:
            values = self.meta.get(key)
            if values:
                return values[0]
        return None

    def all_meta(self, key: str) -> list[str]:
        return self.meta.get(key, [])

    def xpath_text(self, *xpaths: str) -> str | None:
        """Whitespace-normalised text of the first non-empty match of the given XPaths."""
        for xp in xpaths:
            for el in self.tree.xpath(xp):
                value = el if isinstance(el, str) else el.text_content()
                value = " ".join(value.split())
                if value:
                    return value
        return None
