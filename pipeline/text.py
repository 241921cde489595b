"""Text and URL normalization used by the normalize and dedup stages (pure functions)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track where a click came from; dropped from canonical URLs (here, and by
# the parsers' `crawler.parsers.meta.clean_url`).
TRACKING_PARAMS = frozenset(
    """fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid twclid igshid mc_cid mc_eid _ga _gl ref ref_src ref_url
    cmpid cmp ito ocid at_medium at_campaign ns_mchannel ns_source
    ns_campaign ns_linkname ns_fee guccounter guce_referrer guce_referrer_sig taid sr_share smid src_trk
    share icid int_cmp""".split()
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_custom")

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


def canonical_url(url: str) -> str:
    """Canonical form of `url`: w3lib's canonicalization (sorted query, no fragment) minus tracking parameters."""
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", strip_tracking(parts.query), ""))


def strip_tracking(query: str) -> str:
    """A query string without its tracking parameters; the others kept in order."""
    return urlencode(
        [
            (k, v)
            for k, v in parse_qsl(query, keep_blank_values=True)
            if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
        ]
    )


def clean_line(text: str) -> str:
    """NFC, no zero-width characters, runs of whitespace collapsed to one space, stripped."""
    return _INLINE_SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)).strip()


def clean_text(text: str) -> str:
    """Article body: `clean_line` per line, boilerplate lines dropped, one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (clean_line(line) for line in text.split("\n"))
    return "\n\n".join(line for line in lines if line and not BOILERPLATE_LINES.match(line))


def content_hash(text: str) -> str:
    """Hash of the normalized text, insensitive to case and whitespace (exact-duplicate key)."""
    return hashlib.sha1(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()[:16]


def word_count(text: str) -> int:
    return len(text.split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens, for shingling."""
    return _WORD.findall(text.lower())
