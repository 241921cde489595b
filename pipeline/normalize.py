"""Stage 2, normalize: NFC and whitespace, boilerplate lines out, canonical URL, id, content hash, word count.

The id is recomputed from the canonical URL (`newsalign.core.urls.article_id`, the parser's own), so the same page reached with
different tracking parameters gets one id. A row without a URL (some imports) gets
`article_id("<source>:<content_hash>")`. `content_hash` and `word_count` are set on the item for the
later stages and the store.
"""

from __future__ import annotations

from datetime import datetime, timezone

from itemadapter import ItemAdapter

from newsalign.core import text as T
from newsalign.core.urls import article_id, canonical_url
from newsalign.pipeline.rejects import Reject


class NormalizePipeline:
    def __init__(self, settings=None, writer=None):
        pass

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        body = T.clean_text(adapter["text"])
        if not body:
            raise Reject("normalize", "empty_text", "nothing left after removing boilerplate")
        adapter["text"] = body
        adapter["title"] = T.clean_line(adapter["title"])
        for name in ("authors", "tags"):
            adapter[name] = [v for v in (T.clean_line(x) for x in adapter.get(name) or []) if v]
        if adapter.get("section"):
            adapter["section"] = T.clean_line(adapter["section"])
        if adapter.get("fetched_at") is None:
            adapter["fetched_at"] = datetime.now(timezone.utc)
        digest = T.content_hash(body)
        if adapter.get("url"):
            try:
                adapter["url"] = canonical_url(adapter["url"])
            except ValueError as exc:
                raise Reject("normalize", "bad_url", f"{adapter['url']!r:.120}: {exc}") from None
            adapter["id"] = article_id(adapter["url"])
        else:
            adapter["id"] = article_id(f"{adapter['source']}:{digest}")
        adapter["content_hash"] = digest
        adapter["word_count"] = T.word_count(body)
        return item
