"""Run the crawl's item pipelines outside Scrapy (for imports): the same classes, in the same order,
built from a Settings object, items pushed through synchronously, rejects and the `crawl_runs` row
recorded by the same `WarehouseWriter`."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable

from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from newsalign.pipeline.writer import RunReport, WarehouseWriter


class Chain:
    """validate → normalize → filter → dedup → store, as configured in ITEM_PIPELINES."""

    def __init__(self, settings: BaseSettings, *, spider: str, source: str | None = None):
        self.writer = WarehouseWriter(settings, spider=spider, source=source)
        classes = [load_object(path) for path in build_component_list(settings.getwithbase("ITEM_PIPELINES"))]
        self.pipelines = [cls(settings, self.writer) for cls in classes]
        self.read = 0

    def open(self) -> Chain:
        self.writer.open()
        return self._each("open_spider")

    def preload(self) -> Chain:
        """Start what the pipelines load in the background (the language model), before `open` if wanted."""
        return self._each("preload")

    def wait_until_ready(self) -> Chain:
        """Wait for what the pipelines load in the background (`preload`, or `open`)."""
        return self._each("wait_until_ready")

    def _each(self, method: str) -> Chain:
        """Call `method` on every pipeline that has it, in order."""
        for pipeline in self.pipelines:
            if hasattr(pipeline, method):
                getattr(pipeline, method)()
        return self

    def process(self, item) -> bool:
        """Push one item through; True if stored, False if rejected (and recorded)."""
        self.read += 1
        try:
            for pipeline in self.pipelines:
                item = pipeline.process_item(item)
        except DropItem as exc:
            self.writer.record_drop(item, exc)
            return False
        return True

    def close(self, status: str = "finished") -> RunReport:
        for pipeline in reversed(self.pipelines):
            if hasattr(pipeline, "close_spider") and inspect.isawaitable(closed := pipeline.close_spider()):
                asyncio.run(closed)  # an async stage (pipeline/enrich.py), idle outside Scrapy
        return self.writer.finish(status=status, fetched=self.read)


def run_chain(items: Iterable, settings: BaseSettings, *, spider: str, source: str | None = None) -> RunReport:
    """Run every item through the chain and finish the run: status `finished`, `interrupted` on Ctrl-C,
    `failed` when reading the items raised; either way what was processed is stored first."""
    chain = Chain(settings, spider=spider, source=source).open()
    try:
        for item in items:
            chain.process(item)
    except KeyboardInterrupt:
        chain.close(status="interrupted")
        raise
    except Exception:
        chain.close(status="failed")
        raise
    return chain.close()
