"""One watch cycle: crawl what is fresh, enrich what is new, score it, report each new signal once.

Steps are separate and each commits what it did, so a cycle killed anywhere is finished by the next one:
articles stored but not enriched are asked then, articles not scored are scored then, reports entered
but not delivered are delivered then (`ledger`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.jobs.watch import ledger
from newsalign.jobs.watch.crawl import crawl_in_child
from newsalign.warehouse import ctrl_c_in_queries


@dataclass
class WatchOptions:
    sources: list[str]
    db: str | None = None
    model: Path | None = None
    enrich: str | None = None  # "llm" or None
    sites: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)  # -s NAME=VALUE for the crawl
    reporters: list = field(default_factory=list)

    def crawl_settings(self) -> dict:
        base = {"NEWSALIGN_CONDITIONAL_GET": True, "NEWSALIGN_DB": self.db}
        if self.enrich == "llm":
            base["NEWSALIGN_ENRICH"] = "llm"
        return {**base, **self.settings}


@dataclass
class Scorer:
    """The model, loaded once for every cycle of a watch."""

    path: Path
    loaded: tuple | None = None
    hash: str | None = None

    def score(self, con: duckdb.DuckDBPyConnection) -> dict:
        from newsalign.training.predict import model_hash, score_articles
        from newsalign.training.scoring import load_model

        self.hash = self.hash or model_hash(self.path)
        self.loaded = self.loaded or load_model(self.path)
        summary = score_articles(con, self.path, where=ledger.SCOPE, loaded=self.loaded, digest=self.hash)
        return {"scored": summary.scored, "signals": summary.signals, "threshold": summary.decision.source}


def enrich_new(con: duckdb.DuckDBPyConnection) -> dict:
    """Ask the LLM about the watched articles the crawl's pipeline stage did not finish (a down endpoint, a
    slow call): the same plan, cache and calls as `newsalign enrich llm`."""
    from newsalign.enrich.llm.client import make_client
    from newsalign.enrich.llm.live import run_live
    from newsalign.enrich.llm.prompt import load_prompt
    from newsalign.enrich.llm.run import MAX_ATTEMPTS, default_model
    from newsalign.enrich.llm.store import plan

    todo = plan(con, model=default_model(), prompt=load_prompt(), ids=ledger.scope_ids(con), max_attempts=MAX_ATTEMPTS)
    if todo.todo:
        client = make_client(timeout=30.0, max_retries=2)
        asyncio.run(run_live(con, todo.jobs(), client, concurrency=4))
    return {"asked": len(todo.todo), "answered_before": todo.cached}


def deliver(con: duckdb.DuckDBPyConnection, detector: str, reporters: list) -> dict:
    """Deliver every pending report on every channel; per channel, how many were delivered."""
    done = {}
    for reporter in reporters:
        frame = ledger.pending(con, detector, reporter.channel)
        rows = frame.to_dict("records")
        attempts = dict(zip(frame["id"], frame["attempts"]))
        delivered, error = reporter.deliver(rows)
        ledger.mark(con, detector, reporter.channel, delivered, "delivered", attempts)
        failed = [r["id"] for r in rows if r["id"] not in set(delivered)]
        ledger.mark(con, detector, reporter.channel, failed, "failed", attempts, error)
        done[reporter.channel] = {"delivered": len(delivered), "failed": len(failed), "error": error}
    return done


def run_cycle(con: duckdb.DuckDBPyConnection, options: WatchOptions, scorer: Scorer | None, on_step=print) -> dict:
    """Run one cycle on `con` (the crawl runs in a child process); its detail as recorded in `watch_cycles`."""
    detector = ledger.LLM_DETECTOR if scorer is None else _hash(scorer)
    cycle_id = ledger.start_cycle(con, detector)
    detail: dict = {"cycle_id": cycle_id}
    try:
        with ctrl_c_in_queries():  # a Ctrl-C mid-query: the cycle was interrupted, not failed
            detail["crawl"] = crawl_in_child(options.sources, options.crawl_settings(), options.sites)
            on_step(_crawl_line(detail["crawl"]))
            if options.enrich == "llm":
                detail["enrich"] = _step(enrich_new, con, on_step, "enrich")
            if scorer is not None:
                detail["score"] = scorer.score(con)
                on_step(f"scored {detail['score']['scored']} articles, {detail['score']['signals']} signals")
            detail["new_signals"] = ledger.record_new_signals(
                con, detector, cycle_id, [r.channel for r in options.reporters]
            )
            detail["delivered"] = deliver(con, detector, options.reporters)
    except KeyboardInterrupt:
        ledger.finish_cycle(con, cycle_id, "interrupted", detail)
        raise
    except Exception as exc:
        ledger.finish_cycle(con, cycle_id, "failed", {**detail, "error": str(exc)[:500]})
        raise
    ledger.finish_cycle(con, cycle_id, "finished", detail)
    return detail


def _hash(scorer: Scorer) -> str:
    from newsalign.training.predict import model_hash

    scorer.hash = scorer.hash or model_hash(scorer.path)
    return scorer.hash


def _step(work, con, on_step, name: str) -> dict:
    """A step whose failure (the LLM endpoint down) is recorded and left to the next cycle, not fatal."""
    try:
        return work(con)
    except NewsalignError as exc:
        on_step(f"{name}: {exc} (left for the next cycle)")
        return {"error": str(exc)[:500]}


def _crawl_line(rows: list[dict]) -> str:
    return "crawled: " + ", ".join(
        f"{r['source']} {r['stored']} stored, {r['requested']} requests, {r['failed']} failed" for r in rows
    )
