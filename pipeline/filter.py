"""Stage 3, filter: keep English (by default) news articles of a sensible length.

Reasons (stage `filter`): `page_type` (live blogs, videos, galleries, ...), `too_short`, `too_long`,
`language` (detail: detected vs kept languages). Settings: NEWSALIGN_LANGUAGES ([] keeps all),
NEWSALIGN_MIN_WORDS, NEWSALIGN_MAX_WORDS, NEWSALIGN_REJECT_PAGE_TYPES.

Language detection: py3langid (model inside the wheel, deterministic; langdetect measured ~3x slower
and random without a fixed seed). The detected code is stored in `language`. Only the first
`LANGID_CHARS` characters are read: ~0.3 ms an article on one core (0.5 ms at 2000), and as reliable
on the sample and fixture articles (an article is at least NEWSALIGN_MIN_WORDS=150 words). Its model
takes ~0.3 s to load (mostly LZMA, which runs without the GIL): `open_spider` starts loading it in a
background thread, so it overlaps the crawl's first requests (robots.txt, sitemaps) and the warehouse
open; the first article waits for it only if it comes sooner. The loaded model is cached, so a second
crawl in the same process (the demo runs six) gets it at once. With
NEWSALIGN_LANGUAGES empty the model is never loaded and `language` is left as the page declared it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from itemadapter import ItemAdapter

from newsalign.core.language import language_identifier
from newsalign.pipeline.rejects import Reject

STAGE = "filter"
LANGID_CHARS = 1000
DEFAULT_REJECT_PAGE_TYPES = (
    "liveblogposting",
    "liveblog",
    "live_blog",
    "videoobject",
    "video",
    "gallery",
    "imagegallery",
    "podcast",
    "audioobject",
    "recipe",
    "quiz",
    "event",
)


class FilterPipeline:
    def __init__(self, settings, writer=None):
        self.languages = {lang.lower() for lang in settings.getlist("NEWSALIGN_LANGUAGES", ["en"])}
        self.min_words = settings.getint("NEWSALIGN_MIN_WORDS", 150)
        self.max_words = settings.getint("NEWSALIGN_MAX_WORDS", 20_000)
        types = settings.getlist("NEWSALIGN_REJECT_PAGE_TYPES", DEFAULT_REJECT_PAGE_TYPES)
        self.reject_types = {t.lower() for t in types}
        self._model: Future | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    def open_spider(self) -> None:
        self.preload()

    def preload(self) -> None:
        """Start loading the language model in the background (once); process_item waits for it."""
        if self.languages and self._model is None:
            loader = ThreadPoolExecutor(1, thread_name_prefix="langid-model")
            self._model = loader.submit(language_identifier)
            loader.shutdown(wait=False)

    def _identifier(self):
        if self._model is None:  # used without open_spider (e.g. a test calling process_item directly)
            return language_identifier()
        return self._model.result()

    def wait_until_ready(self) -> None:
        """Wait for the language model started by `preload` (a process that reads many files wants it
        loaded before its first one)."""
        if self.languages:
            self._identifier()

    def process_item(self, item):
        adapter = ItemAdapter(item)
        page_type = (adapter.get("page_type") or "article").lower()
        if page_type in self.reject_types:
            raise Reject(STAGE, "page_type", page_type)
        words = adapter["word_count"]
        if words < self.min_words:
            raise Reject(STAGE, "too_short", f"{words} words < NEWSALIGN_MIN_WORDS={self.min_words}")
        if words > self.max_words:
            raise Reject(STAGE, "too_long", f"{words} words > NEWSALIGN_MAX_WORDS={self.max_words}")
        if self.languages:
            detected = self._identifier().classify(adapter["text"][:LANGID_CHARS])[0]
            if detected not in self.languages:
                declared = adapter.get("language")
                raise Reject(
                    STAGE, "language", f"detected {detected}" + (f" (page says {declared})" if declared else "")
                )
            adapter["language"] = detected
        return item
