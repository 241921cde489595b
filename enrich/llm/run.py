"""`enrich_llm`: plan the calls, then make them live (async, bounded) or through the Batch API.
A dry run plans and estimates tokens and cost, and makes no call."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from newsalign.enrich.llm.prices import cost_usd
from newsalign.enrich.llm.prompt import DEFAULT_PROMPT, estimate_tokens, load_prompt
from newsalign.enrich.llm.store import Plan, plan

DEFAULT_MODEL = os.environ.get("NEWSALIGN_LLM_MODEL", "gpt-4o-mini")
EXPECTED_OUTPUT_TOKENS = 120  # 10 short topics, a boolean and one sentence


@dataclass
class Summary:
    articles: int
    cached: int
    in_batch: int
    calls: int
    ok: int = 0
    errors: int = 0
    est_prompt_tokens: int = 0
    est_cost_usd: float | None = None
    cost_usd: float | None = None
    batches: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.articles} articles", f"{self.cached} already answered"]
        if self.in_batch:
            parts.append(f"{self.in_batch} waiting in a batch")
        parts.append(
            f"{self.calls} calls" + (f": {self.ok} ok, {self.errors} errors" if self.ok or self.errors else "")
        )
        return ", ".join(parts)


def estimate(todo: Plan, *, batch: bool = False) -> tuple[int, int, float | None]:
    """(prompt tokens, completion tokens, USD) for the planned calls, from a chars/4 token estimate."""
    prompt_tokens = sum(estimate_tokens(job.request["messages"]) for job in todo.jobs())
    completion_tokens = EXPECTED_OUTPUT_TOKENS * len(todo.todo)
    return prompt_tokens, completion_tokens, cost_usd(todo.model, prompt_tokens, completion_tokens, batch=batch)


def enrich_llm(
    con: duckdb.DuckDBPyConnection,
    *,
    model: str = DEFAULT_MODEL,
    prompt_version: str = DEFAULT_PROMPT,
    limit: int | None = None,
    concurrency: int = 8,
    batch: bool = False,
    dry_run: bool = False,
    base_url: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 4,
    poll_interval: float = 30.0,
    on_start: Callable[[Summary], None] = lambda summary: None,
    on_result: Callable[[str, object], None] = lambda status, job: None,
    on_status: Callable[[str, str], None] = lambda batch_id, status: None,
) -> Summary:
    """Ask the model about every stored article without a current answer (at most `limit`)."""
    from newsalign.enrich.llm.client import make_client

    todo = plan(con, model=model, prompt=load_prompt(prompt_version), limit=limit)
    summary = Summary(todo.total, todo.cached, todo.in_batch, len(todo.todo))
    if dry_run:
        summary.est_prompt_tokens, _, summary.est_cost_usd = estimate(todo, batch=batch)
        return summary
    if not todo.todo and not (batch and todo.in_batch):
        return summary  # everything answered: no client, so no key needed (the demo relies on this)
    client = make_client(base_url=base_url, timeout=timeout, max_retries=max_retries, asynchronous=not batch)
    on_start(summary)
    (last_call,) = con.execute("SELECT coalesce(max(call_id), 0) FROM llm_calls").fetchone()
    if batch:
        from newsalign.enrich.llm import batch as batch_api

        with client, batch_api.clear_errors(client):
            summary.batches = batch_api.open_batches(con) + batch_api.submit(con, client, todo.jobs())
            for batch_id in summary.batches:
                batch_api.wait_and_collect(con, client, batch_id, poll_interval=poll_interval, on_status=on_status)
    else:
        from newsalign.enrich.llm.live import run_live

        asyncio.run(run_live(con, todo.jobs(), client, concurrency=concurrency, on_result=on_result))
    summary.ok, summary.errors, summary.cost_usd = con.execute(
        "SELECT count(*) FILTER (status = 'ok'), count(*) FILTER (status = 'error'), sum(cost_usd)"
        " FROM llm_calls WHERE call_id > ?",
        [last_call],
    ).fetchone()
    return summary
