"""Small normalisers shared by every source: titles, author names, language codes (URLs and dates: newsalign.core)."""

from __future__ import annotations

import re

_SEP = r"(?:\s*[|:]\s*|\s+[\u2013\u2014-]\s+)"  # the separators sites put between a headline and their name


def strip_title(title: str, suffix: re.Pattern[str] | None, site: str | None = None, authors: list[str] = ()) -> str:
    """A headline without the site's name before or after it (`site`: a regex of the site's names) and
    without a trailing ` | Author Name` of one of the article's `authors` (older opinion pages)."""
    title = " ".join(title.split())
    if suffix is not None:
        title = suffix.sub("", title).strip()
    if site:
        title = re.sub(rf"^(?:{site}){_SEP}(?=\S)|(?<=\S){_SEP}(?:{site})$", "", title).strip()
    for author in authors:
        if title.endswith(author) and re.search(rf"\S{_SEP}{re.escape(author)}$", title):
            title = re.sub(rf"{_SEP}{re.escape(author)}$", "", title).strip()
    return title


_BY = re.compile(r"^\s*(?:by|written by|words by)\s+", re.I)
_AND = re.compile(r"\s*(?:,|\band\b|&)\s*")


def clean_authors(raw: list[str]) -> list[str]:
    """Names without "By ", split on "and"/commas, URLs dropped, duplicates removed (order kept)."""
    out: list[str] = []
    for value in raw:
        value = _BY.sub("", " ".join(value.split()))
        for name in _AND.split(value):
            name = name.strip(" .;|")
            if name and "://" not in name and name not in out:
                out.append(name)
    return out


def language(value: str | None) -> str | None:
    """ "en-GB", "en_US", "EN" -> "en"."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
