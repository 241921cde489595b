"""Stage 6, optional (`-s NEWSALIGN_ENRICH=llm`): ask the LLM about each article as it arrives.

The article is handed on at once (the store has buffered it already): the call runs beside the crawl as
a task on Scrapy's asyncio reactor, through the same code as `newsalign enrich llm` (its cache key, so
an answered article is never asked again; its pacing; its attempt cap; its recording, which scrubs
secrets). A failed or slow call never drops or delays the article: when the spider closes, calls still
running after NEWSALIGN_ENRICH_DRAIN_SECONDS are cancelled, and an unreachable endpoint turns the stage
off for the rest of the crawl; either way `newsalign enrich llm` (or the next watch cycle) asks later.

Settings: NEWSALIGN_ENRICH (None or "llm"), NEWSALIGN_LLM_MODEL (default $NEWSALIGN_LLM_MODEL, else
gpt-4o-mini), NEWSALIGN_LLM_BASE_URL (default $OPENAI_BASE_URL), NEWSALIGN_ENRICH_CONCURRENCY (4),
NEWSALIGN_ENRICH_TIMEOUT (30 s a call), NEWSALIGN_ENRICH_RETRIES (2), NEWSALIGN_ENRICH_RPM / _TPM.
"""

from __future__ import annotations

import asyncio
import logging

from itemadapter import ItemAdapter

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.enrich.llm.prompt import DEFAULT_PROMPT, load_prompt
from newsalign.enrich.llm.run import MAX_ATTEMPTS, default_model
from newsalign.enrich.llm.store import Job, build_request, cache_key
from newsalign.pipeline.runs import crawl_writer
from newsalign.pipeline.writer import WarehouseWriter

logger = logging.getLogger(__name__)
MODES = (None, "", "llm")


class LlmEnrichPipeline:
    def __init__(self, settings, writer: WarehouseWriter):
        mode = settings.get("NEWSALIGN_ENRICH") or None
        if mode not in MODES:
            raise NewsalignError(f"NEWSALIGN_ENRICH must be llm or unset, not {mode!r}")
        self.settings, self.writer, self.enabled = settings, writer, mode == "llm"
        self.client = None
        self.off: str | None = None  # why the stage stopped asking
        self.tasks: set[asyncio.Task] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings, crawl_writer(crawler))

    def open_spider(self) -> None:
        if not self.enabled:
            return
        from newsalign.enrich.llm.client import make_client
        from newsalign.enrich.llm.pace import Pacer
        from newsalign.enrich.llm.store import CallLog

        self.writer.open()
        self.log = CallLog("live")
        get = self.settings
        self.model = get.get("NEWSALIGN_LLM_MODEL") or default_model()
        self.prompt = load_prompt(get.get("NEWSALIGN_ENRICH_PROMPT") or DEFAULT_PROMPT)
        self.pacer = Pacer(
            rpm=get.getfloat("NEWSALIGN_ENRICH_RPM") or None, tpm=get.getfloat("NEWSALIGN_ENRICH_TPM") or None
        )
        self.slots = asyncio.Semaphore(max(1, get.getint("NEWSALIGN_ENRICH_CONCURRENCY", 4)))
        try:
            asyncio.get_running_loop()
            self.client = make_client(
                base_url=get.get("NEWSALIGN_LLM_BASE_URL"),
                timeout=get.getfloat("NEWSALIGN_ENRICH_TIMEOUT", 30.0),
                max_retries=get.getint("NEWSALIGN_ENRICH_RETRIES", 2),
            )
        except (NewsalignError, RuntimeError) as exc:  # no endpoint, or not on the asyncio reactor
            self._turn_off(str(exc))

    def process_item(self, item):
        if self.client is not None and self.off is None:
            job = self._job(ItemAdapter(item))
            if job is not None:
                task = asyncio.ensure_future(self._ask(job))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        return item

    def _job(self, article) -> Job | None:
        """The call to make for this article, or None when its key is answered or has given up."""
        row = {name: article.get(name) for name in ("id", "source", "title", "date_published", "text", "content_hash")}
        key = cache_key(model=self.model, prompt=self.prompt, article_id=row["id"],
                        content_hash=row["content_hash"], title=row["title"])  # fmt: skip
        calls = self.writer.con.execute("SELECT status, call_id FROM llm_calls WHERE cache_key = ?", [key]).fetchall()
        gave_up = max((call_id for status, call_id in calls if status == "gave_up"), default=None)
        if any(status == "ok" for status, _ in calls) or gave_up is not None:
            return None
        attempts = sum(status == "error" for status, _ in calls)
        request = build_request(self.model, self.prompt, row)
        return Job(row["id"], row["content_hash"], key, self.prompt.version, request, attempts, MAX_ATTEMPTS)

    async def _ask(self, job: Job) -> None:
        from newsalign.enrich.llm.live import call_one

        async with self.slots:
            if self.off is not None:
                return
            try:
                await call_one(self.writer.con, self.log, job, self.client, self.pacer)
            except NewsalignError as exc:
                self._turn_off(str(exc))

    def _turn_off(self, why: str) -> None:
        if self.off is None:
            self.off = scrub(why)
            logger.warning(
                "LLM enrichment off for the rest of this crawl (articles are still stored; `newsalign enrich llm` "
                "or the next watch cycle asks for them): %s", self.off,
            )  # fmt: skip

    async def close_spider(self) -> None:
        """Wait (a bounded time) for the calls in flight, then close the client."""
        if self.client is None:
            return
        seconds = self.settings.getfloat("NEWSALIGN_ENRICH_DRAIN_SECONDS", 60.0)
        if self.tasks:
            _, late = await asyncio.wait(set(self.tasks), timeout=seconds)
            for task in late:
                task.cancel()
            if late:
                logger.warning("%d LLM calls still running at the end of the crawl were cancelled", len(late))
        await self.client.close()
