"""One identity for an article: its canonical URL and the id hashed from it.

The parser, the normalize stage, imports and `newsalign parse` all call these, so the id a user sees
for a page is the id the warehouse holds.
"""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say where a click came from. Written out rather than taken from courlan:
# courlan's TRACKERS_RE misses several of ours (cmpid, ocid, ito, smid, icid, int_cmp, ns_*, guccounter)
# and matches real parameters anywhere in a name (`source`, `session`, `uid`), which would merge pages.
TRACKING_PARAMS = frozenset(
    """fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid twclid igshid mc_cid mc_eid _ga _gl ref ref_src ref_url
    cmpid cmp ito ocid at_medium at_campaign ns_mchannel ns_source
    ns_campaign ns_linkname ns_fee guccounter guce_referrer guce_referrer_sig taid sr_share smid src_trk
    share icid int_cmp""".split()
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_custom")


def strip_tracking(query: str) -> str:
    """A query string without its tracking parameters; the others kept in order."""
    return urlencode(
        [
            (k, v)
            for k, v in parse_qsl(query, keep_blank_values=True)
            if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
        ]
    )


@functools.lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """w3lib's canonical form (sorted query, no fragment, lower-case host) minus tracking parameters.
    Remembered for the latest 4,096 URLs: a page's URL is canonicalized up to three times on its way (a
    CC-NEWS worker's known-URL check, the parser, normalize) and w3lib takes ~0.12 ms each time.

    Raises ValueError for a URL that cannot be split (e.g. `http://[::1`)."""
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", strip_tracking(parts.query), ""))


def page_url(candidates: list[str | None], fetched_url: str) -> str:
    """The canonical URL of a page: its first absolute http(s) candidate (canonical link, og:url) that
    can be read, else the URL it was fetched from."""
    for candidate in candidates:
        if candidate and candidate.strip():
            try:
                absolute = urljoin(fetched_url, candidate.strip())
                if urlsplit(absolute).scheme in ("http", "https"):
                    return canonical_url(absolute)
            except ValueError:
                continue
    return canonical_url(fetched_url)


def article_id(key: str) -> str:
    """Stable id of an article: a hash of its canonical URL (or, without one, of `source:content_hash`)."""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
