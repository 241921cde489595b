"""`enrich_llm`: plan the calls, then make them live (async, bounded) or through the Batch API.
A dry run plans and estimates tokens and cost, and makes no call."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from newsalign.core.shards import Shard
from newsalign.enrich.llm.prices import cost_usd
from newsalign.enrich.llm.prompt import DEFAULT_PROMPT, estimate_tokens, load_prompt
from newsalign.enrich.llm.store import Plan, plan

FALLBACK_MODEL = "gpt-4o-mini"
MODEL_ENV = "NEWSALIGN_LLM_MODEL"
EXPECTED_OUTPUT_TOKENS = 120  # 10 short topics, a boolean and one sentence
MAX_ATTEMPTS = 3


def default_model() -> str:
    """$NEWSALIGN_LLM_MODEL, else gpt-4o-mini; read when called, not at import."""
    return os.environ.get(MODEL_ENV) or FALLBACK_MODEL


@dataclass
class Summary:
    articles: int
    cached: int
    in_batch: int
    calls: int
    gave_up: int = 0  # skipped: used up their attempts earlier
    ok: int = 0
    errors: int = 0
    new_gave_up: int = 0  # failed their last attempt in this run
    est_prompt_tokens: int = 0
    est_cost_usd: float | None = None
    cost_usd: float | None = None
    batches: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.articles} articles", f"{self.cached} already answered"]
        if self.in_batch:
            parts.append(f"{self.in_batch} waiting in a batch")
        if self.gave_up:
            parts.append(f"{self.gave_up} gave up earlier")
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
    model: str | None = None,
    prompt_version: str = DEFAULT_PROMPT,
    limit: int | None = None,
    concurrency: int = 8,
    max_attempts: int = MAX_ATTEMPTS,
    retry_failed: bool = False,
    shard: Shard | None = None,
    rpm: float | None = None,
    tpm: float | None = None,
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
    """Ask the model about every stored article without a current answer (at most `limit`), each at
    most `max_attempts` times over all runs unless `retry_failed`; paced to `rpm` / `tpm`."""
    from newsalign.enrich.llm.client import make_client
    from newsalign.enrich.llm.pace import Pacer

    pacer = Pacer(rpm=rpm, tpm=tpm)
    todo = plan(
        con, model=model or default_model(), prompt=load_prompt(prompt_version), limit=limit,
        max_attempts=max_attempts, retry_failed=retry_failed, shard=shard,
    )  # fmt: skip
    summary = Summary(todo.total, todo.cached, todo.in_batch, len(todo.todo), todo.gave_up)
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
            summary.batches = batch_api.open_batches(con, client) + batch_api.submit(con, client, todo.jobs())
            for batch_id in summary.batches:
                batch_api.wait_and_collect(con, client, batch_id, poll_interval=poll_interval, on_status=on_status)
    else:
        from newsalign.enrich.llm.live import run_live

        workers = min(concurrency, len(todo.todo))  # bounded by the work: one worker per job at most
        asyncio.run(run_live(con, todo.jobs(), client, concurrency=workers, pacer=pacer, on_result=on_result))
    # This run's calls only: other processes (shards sharing the lake) record calls meanwhile too.
    summary.ok, summary.errors, summary.new_gave_up, summary.cost_usd = con.execute(
        "SELECT count(*) FILTER (status = 'ok'), count(*) FILTER (status <> 'ok'), "
        "count(*) FILTER (status = 'gave_up'), sum(cost_usd)"
        " FROM llm_calls WHERE call_id > ? AND (cache_key IN (SELECT unnest(?)) OR batch_id IN (SELECT unnest(?)))",
        [last_call, [key for _, key in todo.todo], summary.batches],
    ).fetchone()
    return summary
