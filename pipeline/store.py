"""Stage 5, store: hand each article to the run's `WarehouseWriter`, which writes batches into
`articles` via Arrow (one transaction a batch, upsert by id) every NEWSALIGN_STORE_BATCH items,
every NEWSALIGN_STORE_FLUSH_SECONDS, and when the spider closes."""

from __future__ import annotations

from operator import attrgetter

from itemadapter import ItemAdapter

from newsalign.crawler.items import Article
from newsalign.pipeline.runs import crawl_writer
from newsalign.pipeline.writer import ARTICLE_COLUMNS, WarehouseWriter

_ITEM_FIELDS = ARTICLE_COLUMNS[:-1]  # every column but run_id, in `Article` field order
_get_fields = attrgetter(*_ITEM_FIELDS)


class StorePipeline:
    def __init__(self, settings, writer: WarehouseWriter):
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings, crawl_writer(crawler))

    def open_spider(self) -> None:
        self.writer.open()

    def process_item(self, item):
        if (
            type(item) is Article
        ):  # fast path for our own item: one C-level getter instead of ItemAdapter (bench_ingest)
            values = _get_fields(item)
        else:
            get = ItemAdapter(item).get
            values = tuple(get(name) for name in _ITEM_FIELDS)
        self.writer.add_article(values + (None,))
        return item

    def close_spider(self) -> None:
        self.writer.flush()
