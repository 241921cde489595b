"""Synchronous-API mode: one chat completion per job, at most `concurrency` in flight (asyncio),
each answer recorded the moment it arrives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.enrich.llm.store import Job, record_completion, record_failure


async def run_live(
    con: duckdb.DuckDBPyConnection,
    jobs: Iterable[Job],
    client,
    *,
    concurrency: int,
    on_result: Callable[[str, Job], None] = lambda status, job: None,
) -> None:
    """Make the calls. Per-article failures are recorded; configuration failures (bad key, unknown
    model, unreachable server) stop the run with a NewsalignError, keeping what was recorded."""
    import openai

    semaphore = asyncio.Semaphore(concurrency)
    pending = iter(jobs)  # shared by the workers; next() never awaits, so each job is taken once

    async def call(job: Job) -> None:
        async with semaphore:
            started = time.monotonic()
            try:
                completion = await client.chat.completions.create(**job.request)
            except openai.APITimeoutError:
                record_failure(con, job, f"timeout after {client.timeout}s and {client.max_retries} retries",
                               ["timeout"], mode="live", latency_s=time.monotonic() - started)  # fmt: skip
                on_result("error", job)
                return
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as exc:
                raise NewsalignError(
                    f"{client.base_url} refused the request ({exc.status_code}): {_message(exc)}"
                ) from None
            except openai.APIStatusError as exc:
                record_failure(con, job, f"HTTP {exc.status_code} after {client.max_retries} retries: {_message(exc)}",
                               [f"http_{exc.status_code}"], mode="live", response=exc.body,
                               latency_s=time.monotonic() - started)  # fmt: skip
                on_result("error", job)
                return
            except openai.APIConnectionError as exc:
                raise NewsalignError(
                    f"cannot reach the LLM endpoint {client.base_url}: {exc.__cause__ or exc}"
                ) from None
            except openai.APIError as exc:  # e.g. a 200 whose body is not a chat completion
                record_failure(con, job, f"unusable response: {exc}", ["api_error"], mode="live",
                               latency_s=time.monotonic() - started)  # fmt: skip
                on_result("error", job)
                return
            checked = record_completion(
                con, job, completion.to_dict(), mode="live", latency_s=time.monotonic() - started
            )
            on_result("error" if checked.error else "ok", job)

    async def worker() -> None:
        for job in pending:
            await call(job)

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await client.close()


def _message(exc) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("message") or exc.message).splitlines()[0][:300]
