"""What every source shares: metadata from JSON-LD / meta tags, the body from a per-site container,
the rejection of pages that are not articles, and the assembly of the `Article` item.

A source module subclasses `SiteParser` and sets class attributes (XPaths, title suffix, URL patterns);
it overrides a method only where its markup really differs.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from newsalign.core.dates import parse_date
from newsalign.core.urls import article_id, page_url
from newsalign.crawler.items import Article, PageRejected
from newsalign.crawler.parsers import body, jsonld, meta
from newsalign.crawler.parsers.page import Page

MAX_TITLE_CHARS = 400  # a longer title candidate is page text, not a headline: the next candidate is tried
MAX_NAME_CHARS = 120  # author names, tags and sections longer than this are dropped
MAX_NAMES = 50  # authors and tags kept per article
MIN_WORDS = 40  # a body shorter than this is not an article (consent walls, teasers, empty templates)

# Bot-protection pages (DataDome, Cloudflare, PerimeterX, Akamai) and consent walls: small pages with one of
# these markers. Plain lowercase text, looked for in the lowercased page (`first_marker`): a case-insensitive
# regex alternation took ~30x longer on a 50 KB page.
BOT_MARKERS = (
    "captcha-delivery.com",
    "geo.captcha",
    "datadome",
    "cf-chl-",
    "challenge-platform",
    "px-captcha",
    "attention required! | cloudflare",
    "just a moment...",
    "access denied</title>",
    "please enable js and disable any ad blocker",
)
CONSENT_MARKERS = (
    "consent.",
    "/consent",
    "cookie consent",
    "before you continue",
    "we value your privacy",
    "your privacy choices",
    "manage cookies",
    "manage your cookies",
)
# Text a reader never sees: screen-reader-only spans (Reuters' ", opens new tab") and hidden elements.
HIDDEN_XPATH = (
    ".//*[@hidden or contains(translate(@style,' ',''),'display:none') or contains(translate(@style,' ',''),'clip:rect(0')"
    " or contains(@class,'visually-hidden') or contains(@class,'sr-only') or contains(@class,'screen-reader')]"
)
# Scripts written without spaces between words: a word count means nothing there (outside our English scope).
UNSPACED_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff]"
)
VIDEO_META = ("og:video", "og:video:url", "og:video:secure_url", "twitter:player")
# Meta tags naming the publication time, old conventions included (DC.date.issued, OriginalPublicationDate).
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "dc.date.issued",
    "originalpublicationdate",
    "pub_date",
    "publish-date",
    "date",
)
INDEX_TYPES = frozenset({"CollectionPage", "ItemList", "WebSite", "SearchResultsPage", "ProfilePage"})


class SiteParser:
    """Parse one source's pages. Subclasses set the class attributes below."""

    name: str = ""
    title_xpaths: tuple[str, ...] = ()  # tried before the JSON-LD headline, og:title and <title>
    title_suffix: re.Pattern[str] | None = None  # e.g. " | TechCrunch"
    site_names: str | None = None  # regex of the site's names, stripped before or after a headline
    lead_xpaths: tuple[str, ...] = ()  # standfirst/summary elements put before the body
    body_xpaths: tuple[str, ...] = ()  # body containers; the first that yields paragraphs wins
    block_xpath: str | None = None  # extra elements (under the container) that are one paragraph each
    drop_xpath: str | None = None  # boilerplate under the container
    tags_xpath: str | None = None  # the page's own topic links, when its metadata has no keywords
    live_url: re.Pattern[str] | None = None
    video_url: re.Pattern[str] | None = None
    index_url: re.Pattern[str] | None = None

    # --- entry point -------------------------------------------------------------------------
    def parse(self, page: Page, fetched_at: datetime | None = None) -> Article | PageRejected:
        url = self.url(page)
        if url is None:
            return PageRejected(self.name, page.url, "malformed", "no readable URL (fetched, canonical or og:url)")
        rejected = self.reject(page, url)
        if rejected:
            return PageRejected(self.name, url, *rejected)
        paragraphs = self.body(page)
        unspaced = _unspaced_share(paragraphs)
        if unspaced > 0.3:
            return PageRejected(
                self.name, url, "language", f"{unspaced:.0%} of the text in a script without spaces (CJK/Thai...)"
            )
        words = sum(len(p.split()) for p in paragraphs)
        if page.article is None and not self.looks_like_article(page, words):
            video = page.first_meta(*VIDEO_META) or page.tree.find(".//video") is not None
            if video and words < 150:
                return PageRejected(self.name, url, "video", "video player and little text, no article metadata")
            if len(page.tree.xpath("//a[@href]")) >= 20:
                return PageRejected(self.name, url, "index_page", "no article metadata; links rather than running text")
            if not page.meta and not page.xpath_text("//title") and not words:
                return PageRejected(self.name, url, "malformed", "no title, metadata or text: not an HTML page")
        if words < MIN_WORDS:
            return PageRejected(self.name, url, "no_body", f"only {words} words of body text found")
        authors = self.authors(page)
        title = self.title(page, authors)
        if not title:
            return PageRejected(self.name, url, "malformed", "no title found")
        return Article(
            id=article_id(url),
            source=self.name,
            url=url,
            title=title,
            date_published=self.date_published(page),
            text="\n\n".join(paragraphs),
            authors=authors,
            section=self.section(page),
            tags=self.tags(page),
            language=self.language(page),
            fetched_at=_utc(fetched_at or datetime.now(timezone.utc)),
            page_type=self.page_type(page),
        )

    # --- rejection ---------------------------------------------------------------------------
    def reject(self, page: Page, url: str) -> tuple[str, str] | None:
        """(reason, detail) when the page is not an article, decided before reading the body.

        URL patterns are matched against the canonical `url` as well as the fetched one."""
        urls = f"{page.url} {url}"
        types = {t for node in page.nodes for t in jsonld.types_of(node)}
        small = _small(page)  # checked first: the marker regexes are slow on a large page
        head = page.html[:200_000]
        bot = first_marker(head, BOT_MARKERS) if small else None
        if bot:
            return "bot_protection", f"bot-check page ({bot}); a browser is needed"
        if "LiveBlogPosting" in types or (self.live_url and self.live_url.search(urls)):
            return "live_blog", "live blog (LiveBlogPosting / live URL)"
        og_type = (page.first_meta("og:type") or "").lower()
        if page.article is None and (
            "VideoObject" in types or og_type.startswith("video") or (self.video_url and self.video_url.search(urls))
        ):
            return "video", f"video page (og:type={og_type or '-'})"
        if (
            small
            and page.article is None
            and first_marker(f"{urls} {page.xpath_text('//title') or ''} {head[:50_000]}", CONSENT_MARKERS)
        ):
            return "consent_page", "cookie/consent wall instead of the article"
        if page.article is None and self.index_url and self.index_url.search(url):
            return "index_page", "section or index URL"
        if (
            page.article is None
            and types & INDEX_TYPES
            and og_type != "article"
            and not page.first_meta("article:published_time")
        ):
            return "index_page", f"page type {sorted(types & INDEX_TYPES)[0]}"
        return None

    def looks_like_article(self, page: Page, words: int) -> bool:
        """Without JSON-LD: article meta tags, or enough running text outside links."""
        if (page.first_meta("og:type") or "").lower() == "article" or page.first_meta("article:published_time"):
            return True
        return words >= 150

    # --- fields ------------------------------------------------------------------------------
    def url(self, page: Page) -> str | None:
        canonical = page.tree.xpath("//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href")
        try:
            url = page_url([*canonical[:1], page.first_meta("og:url")], page.url)
            page.rules["url"] = "canonical link or og:url" if canonical or page.first_meta("og:url") else "fetched URL"
            return url
        except ValueError:  # no candidate, and the fetched URL itself cannot be split (`http://[::1`)
            return None

    def title(self, page: Page, authors: list[str] = ()) -> str | None:
        """The first of: the site's headline XPaths, the JSON-LD headline, og:/twitter:title, <title>, <h1>;
        the visible <h1> instead when it is the same headline written out longer (a shortened og:title)."""
        art = page.article or {}
        h1 = page.xpath_text("//h1")
        for rule, candidate in (
            ("site XPath", page.xpath_text(*self.title_xpaths) if self.title_xpaths else None),
            ("JSON-LD headline", jsonld.text(art.get("headline"))),
            ("og:title", page.first_meta("og:title", "twitter:title")),
            ("<title>", page.xpath_text("//title")),
            ("<h1>", h1),
        ):
            if candidate and len(candidate) <= MAX_TITLE_CHARS:
                title = meta.strip_title(candidate, self.title_suffix, self.site_names, authors)
                if rule != "<h1>" and h1 and len(h1) <= MAX_TITLE_CHARS and _shortened(title, h1):
                    rule, title = f"<h1> (longer than the {rule})", h1
                page.rules["title"] = rule
                return title
        return None

    def date_published(self, page: Page) -> datetime | None:
        art = page.article or {}
        for rule, value in (
            ("JSON-LD datePublished", art.get("datePublished")),
            ("meta published_time", page.first_meta(*PUBLISHED_META)),
            ("JSON-LD dateCreated", art.get("dateCreated")),
        ):
            parsed = parse_date(value)
            if parsed:
                page.rules["date_published"] = rule
                return parsed
        page.rules["date_published"] = "htmldate fallback"
        return self._htmldate(page)

    @staticmethod
    def _htmldate(page: Page) -> datetime | None:
        from htmldate import find_date  # imported here: only pages without date metadata need it

        try:
            found = find_date(
                page.tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z", url=page.url
            )
        except (ValueError, OverflowError):  # htmldate compares an offset like +99:00 and raises
            return None
        return parse_date(found)

    def authors(self, page: Page) -> list[str]:
        art = page.article or {}
        names = meta.clean_authors(jsonld.names(art.get("author"), page.nodes)) if art.get("author") else []
        page.rules["authors"] = "JSON-LD author"
        # Meta tags in order of trust; article:author is often a profile URL (dropped by clean_authors).
        for key in ("article:author", "author", "byl", "sailthru.author", "cxenseparse:author", "mrf:authors"):
            if names:
                break
            names = meta.clean_authors(page.all_meta(key)[:1])
            page.rules["authors"] = f"meta {key}"
        if not names:
            page.rules["authors"] = "none found"
        return _short(names)

    section_meta: tuple[str, ...] = ("article:section",)  # meta tags naming the section, in order

    def section(self, page: Page) -> str | None:
        art = page.article or {}
        from_ld = jsonld.strings(art.get("articleSection"))
        page.rules["section"] = "JSON-LD articleSection" if from_ld else f"meta {'/'.join(self.section_meta)}"
        return next(iter(_short(from_ld or [page.first_meta(*self.section_meta)])), None)

    def tags(self, page: Page) -> list[str]:
        art = page.article or {}
        tags = jsonld.strings(art.get("keywords"))
        page.rules["tags"] = "JSON-LD keywords"
        if not tags:
            tags = [t.strip() for v in page.all_meta("article:tag") for t in v.split(",") if t.strip()]
            page.rules["tags"] = "meta article:tag"
        if not tags and self.tags_xpath:
            tags = [" ".join(t.split()) for t in page.tree.xpath(self.tags_xpath) if t.strip()]
            page.rules["tags"] = "site XPath (topic links)"
        if not tags:
            page.rules["tags"] = "meta news_keywords/keywords"
            tags = [
                t.strip()
                for t in re.split(r"[,;]", page.first_meta("news_keywords", "keywords", "sailthru.tags") or "")
                if t.strip()
            ]
        return _short(list(dict.fromkeys(tags)))

    def language(self, page: Page) -> str | None:
        art = page.article or {}
        return meta.language(
            page.tree.get("lang")
            or page.tree.get("xml:lang")
            or jsonld.text(art.get("inLanguage"))
            or page.first_meta("og:locale", "content-language")
        )

    def page_type(self, page: Page) -> str:
        if page.article is None:
            return "article"
        return next(t for t in jsonld.types_of(page.article) if t in jsonld.ARTICLE_TYPES)

    # --- body --------------------------------------------------------------------------------
    def body(self, page: Page) -> list[str]:
        """Lead + paragraphs of the first container that yields text; trafilatura when none does."""
        lead = [page.xpath_text(xp) for xp in self.lead_xpaths]
        lead = [text for text in lead if text and not body.furniture(text)][:1]
        for xp in self.body_xpaths:
            containers = page.tree.xpath(xp)
            if not containers:
                continue
            drop_xpath = HIDDEN_XPATH + (f" | {self.drop_xpath}" if self.drop_xpath else "")
            drop = {el for c in containers for el in c.xpath(drop_xpath)}
            blocks = {el for c in containers for el in c.xpath(self.block_xpath)} if self.block_xpath else None
            found = body.paragraphs(containers, drop=drop, blocks=blocks)
            if sum(len(p.split()) for p in found) >= MIN_WORDS:
                page.rules["text"] = f"site XPath {xp}"
                return lead + [p for p in found if p not in lead]
        page.rules["text"] = "trafilatura fallback"
        return lead + [p for p in body.fallback(page.html, page.url) if p not in lead and not body.furniture(p)]


def first_marker(text: str, markers: tuple[str, ...]) -> str | None:
    """The first of `markers` (lowercase) found in `text`, ignoring case."""
    lowered = text.lower()
    return next((marker for marker in markers if marker in lowered), None)


def _small(page: Page) -> bool:
    """Little visible text: what bot-check and consent pages have, and real articles do not."""
    if len(page.html) < 60_000:
        return True
    body = page.tree.find("body")
    if body is None:
        return True
    hidden = sum(len(el.text or "") for el in body.iter("script", "style", "noscript", "template"))
    return len(body.text_content()) - hidden < 2_000  # characters of visible text, roughly 300 words


def _shortened(title: str, h1: str) -> bool:
    """`h1` is `title` written out longer: its words start with all of the title's (a trailing ellipsis aside)."""
    short, full = title.rstrip(".\u2026 ").casefold().split(), h1.casefold().split()
    return 0 < len(short) < len(full) and full[: len(short)] == short


def _unspaced_share(paragraphs: list[str]) -> float:
    """The share of the text's letters that are in a script written without spaces between words."""
    sample = "".join(paragraphs)[:20_000]
    letters = sum(map(str.isalpha, sample))
    return len(UNSPACED_SCRIPT.findall(sample)) / letters if letters else 0.0


def _short(values: list[str | None]) -> list[str]:
    """At most MAX_NAMES values, each at most MAX_NAME_CHARS long (longer ones are not names)."""
    return [v for v in values if v and len(v) <= MAX_NAME_CHARS][:MAX_NAMES]


def _utc(moment: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
