"""`Reject`: how a pipeline stage drops an item, with a machine-readable reason.

Every stage raises `Reject(stage, reason, detail)`; the run's `WarehouseWriter` records it in
`article_rejects` (in Scrapy via `CrawlRunRecorder` on the `item_dropped` signal, in imports via
`pipeline.chain`), so "why was this dropped?" is one SQL query away.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem


class Reject(DropItem):
    """An item dropped by `stage` for `reason` (short, machine-readable), with a human `detail`."""

    def __init__(self, stage: str, reason: str, detail: str = ""):
        # DEBUG: the per-reason counts are logged at the end of the run; one line per drop is noise.
        super().__init__(f"{stage}/{reason}: {detail}" if detail else f"{stage}/{reason}", log_level="DEBUG")
        self.stage = stage
        self.reason = reason
        self.detail = detail
