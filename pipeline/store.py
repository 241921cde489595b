"""Stage 5, store: hand each article to the run's `WarehouseWriter`, which writes batches into
`articles` via Arrow (one transaction a batch, upsert by id) every NEWSALIGN_STORE_BATCH items,
every NEWSALIGN_STORE_FLUSH_SECONDS, and when the spider closes."""

from __future__ import annotations

from itemadapter import ItemAdapter

from pipeline.normalize import extra
from pipeline.writer import ARTICLE_COLUMNS, WarehouseWriter

_ITEM_FIELDS = ARTICLE_COLUMNS[:-3]  # id ... page_type; then content_hash, word_count (computed), run_id


class StorePipeline:
    def __init__(self, settings, writer: WarehouseWriter):
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings, WarehouseWriter.for_crawler(crawler))

    def open_spider(self) -> None:
        self.writer.open()

    def process_item(self, item):
        get = ItemAdapter(item).get
        self.writer.add_article(
            tuple(get(name) for name in _ITEM_FIELDS) + (extra(item, "content_hash"), extra(item, "word_count"), None)
        )
        return item

    def close_spider(self) -> None:
        self.writer.flush()
