"""Article body: paragraphs under a per-site container, with trafilatura as the generic fallback."""

from __future__ import annotations

import re

import lxml.html

# Elements whose text is one paragraph of the body.
BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"})
# Never body text, whatever the site.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "figure",
        "figcaption",
        "aside",
        "nav",
        "form",
        "button",
        "iframe",
        "video",
        "audio",
        "picture",
        "footer",
        "header",
        "select",
        "input",
        "label",
    }
)


# Promo boxes inside article bodies, older layouts especially: "Trending on Wccftech", "Full article: ...".
PROMO = re.compile(
    r"^(?:trending (?:on|in|now)\b.{0,80}|full (?:article|story|coverage)\b.{0,150}|(?:see|watch|listen) also\b.{0,100}"
    r"|(?:most (?:read|popular|viewed))(?: on .{0,40})?|more from .{0,60}|(?:also )?on our radar\b.{0,80})$",
    re.I,
)
# The words of a dateline ("Monday 14 March 2011 13.50 GMT", "10 March 2013 Last updated at 14:30 GMT").
_DATELINE_WORDS = re.compile(
    r"\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
    r"published|updated|last|first|posted|at|on|gmt|bst|utc|cet|et|est|edt|pt|pst|pdt|am|pm|\d+(?:st|nd|rd|th)?)\b|[\s,.:/|()\u2013-]+",
    re.I,
)


def furniture(text: str) -> bool:
    """A promo line or a bare dateline: page furniture inside the body, not article text."""
    if len(text) > 200:
        return False
    if PROMO.match(text):
        return True
    return len(text) <= 80 and any(c.isdigit() for c in text) and not _DATELINE_WORDS.sub("", text)


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def paragraphs(
    containers: list[lxml.html.HtmlElement],
    *,
    drop: set | None = None,
    blocks: set | None = None,
) -> list[str]:
    """Texts of the block elements under `containers`, in document order.

    `drop`: elements to skip with their subtree (site-specific boilerplate such as "related" boxes);
    `blocks`: extra elements to treat as a paragraph (e.g. Reuters' `<div data-testid="paragraph-3">`).
    A block's text is taken whole (nested blocks are not visited again).
    """
    drop = drop or set()
    blocks = blocks or set()
    out: list[str] = []
    # An explicit stack, not recursion: real pages (and hostile ones) nest thousands of divs deep.
    stack = list(reversed(containers))
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS or el in drop:
            continue
        if tag in BLOCK_TAGS or el in blocks:
            # Skip the boilerplate inside a paragraph too (e.g. an inline "related" link box).
            if any(child in drop or child.tag in SKIP_TAGS for child in el.iterdescendants()):
                text = _clean(_text_without(el, drop))
            else:
                text = _clean(el.text_content())
            if text and (not out or out[-1] != text) and not _all_link(el, text) and not furniture(text):
                out.append(text)
            continue
        stack.extend(reversed(el))
    return out


def _all_link(el: lxml.html.HtmlElement, text: str) -> bool:
    """A block that is nothing but a link ("related stories" lists) is navigation, not body text."""
    linked = sum(len(_clean(a.text_content())) for a in el.iter("a"))
    return linked >= 0.95 * len(text)


def _text_without(el: lxml.html.HtmlElement, drop: set) -> str:
    """The text of `el` without its dropped or skipped descendants (their tails are kept)."""
    parts = [el.text or ""]
    stack: list = list(reversed(el))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if item.tail:
            stack.append(item.tail)
        if isinstance(item.tag, str) and item not in drop and item.tag not in SKIP_TAGS:
            parts.append(item.text or "")
            stack.extend(reversed(item))
    return "".join(parts)


def fallback(html: str, url: str) -> list[str]:
    """Generic extraction with trafilatura, for layouts no site selector knows."""
    import trafilatura  # imported here: only pages whose selector fails pay for it

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True, deduplicate=False
    )
    return [_clean(line) for line in (text or "").split("\n") if _clean(line)]
