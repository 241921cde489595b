"""Text normalization shared by the normalize and dedup stages and the parsers (pure functions)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Whole lines that are page furniture rather than article text (matched case-insensitively against a
# stripped line). Kept short and curated: each pattern is anchored so it cannot eat a real sentence.
BOILERPLATE_LINES = re.compile(
    r"""^(?:
        (?:sign\ up|subscribe)\b.{0,80}\bnewsletters?\b.{0,60}
      | (?:sign\ up|subscribe)(?:\ now|\ today)?[.!]?
      | read\ (?:more|next|the\ full\ (?:story|article))\b.{0,150}
      | (?:related|more)\ (?:articles|stories|content|topics|coverage|on\ this\ story)\b.{0,80}
      | share\ (?:this|on|via)\b.{0,60}
      | (?:share|copy\ link|print|email|tweet|advertisement|skip\ advertisement|continue\ reading|listen\ to\ (?:this\ )?article)[.:!]?
      | follow\ us\ on\b.{0,80}
      | (?:image|video)\ (?:source|caption),.{0,200}
      | click\ here\ to\b.{0,100}
      | (?:©|\(c\)|copyright\ ©?)\ ?\d{4}\b.{0,100}
      | all\ rights\ reserved\.?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_INLINE_SPACE = re.compile(r"[^\S\n]+")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_WORD = re.compile(r"\w+")


def _normalized(text: str) -> str:
    """NFC, no zero-width characters or lone surrogates, whitespace runs other than newlines collapsed to one
    space. No step reaches across a newline, so a whole text gives the lines its lines would give."""
    return _INLINE_SPACE.sub(" ", unicodedata.normalize("NFC", encodable(text)).translate(_ZERO_WIDTH))


def clean_line(text: str) -> str:
    """`_normalized`, stripped."""
    return _normalized(text).strip()


def clean_text(text: str) -> str:
    """Article body: `clean_line` per line, boilerplate lines dropped, one blank line between paragraphs
    (normalized once as a whole: ~2x faster than line by line)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (line.strip() for line in _normalized(text).split("\n"))
    return "\n\n".join(line for line in lines if line and not BOILERPLATE_LINES.match(line))


def encodable(text: str) -> str:
    """`text` with lone surrogates (a JSON `\\ud800` escape, a bad `str` input) replaced by U+FFFD, so it
    encodes as UTF-8; valid surrogate pairs become the character they stand for."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def content_hash(text: str) -> str:
    """Hash of the normalized text, insensitive to case and whitespace (exact-duplicate key)."""
    return hashlib.sha1(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()[:16]


def word_count(text: str) -> int:
    return len(text.split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens, for shingling."""
    return _WORD.findall(text.lower())
