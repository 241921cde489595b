"""Synchronous-API mode: one chat completion per job, at most `concurrency` in flight (asyncio),
paced (`pace.Pacer`), each answer recorded the moment it arrives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sized

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.enrich.llm.pace import Pacer
from newsalign.enrich.llm.prompt import estimate_tokens
from newsalign.enrich.llm.store import CallLog, Job


async def run_live(
    con: duckdb.DuckDBPyConnection,
    jobs: Iterable[Job],
    client,
    *,
    concurrency: int,
    pacer: Pacer | None = None,
    on_result: Callable[[str, Job], None] = lambda status, job: None,
) -> None:
    """Make the calls. Per-article failures are recorded; configuration failures (bad key, unknown
    model, unreachable server) stop the run with a NewsalignError, keeping what was recorded."""
    pacer = pacer or Pacer()
    log = CallLog("live")
    pending = iter(jobs)  # shared by the workers; next() never awaits, so each job is taken once

    async def worker() -> None:
        for job in pending:
            await call_one(con, log, job, client, pacer, on_result)

    if isinstance(jobs, Sized):  # no more workers than jobs: `--concurrency 100000000 --limit 1` starts one
        concurrency = min(concurrency, len(jobs))
    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await client.close()


async def call_one(
    con: duckdb.DuckDBPyConnection,
    log: CallLog,
    job: Job,
    client,
    pacer: Pacer,
    on_result: Callable[[str, Job], None] = lambda status, job: None,
) -> None:
    """One call, paced, its answer or failure recorded in `log`. Configuration failures (bad key, unknown model,
    unreachable server) raise NewsalignError."""
    import openai

    await pacer.wait(estimate_tokens(job.request["messages"]) + job.request.get("max_completion_tokens", 0))
    started, raw = time.monotonic(), None

    def failed(error: str, flag: str, response: object = None) -> None:
        log.record_failure(con, job, error, [flag], response=response, latency_s=time.monotonic() - started)
        on_result("error", job)

    try:
        raw = await client.chat.completions.with_raw_response.create(**job.request)
        pacer.observe(raw.headers)
        completion = raw.parse()
    except openai.APITimeoutError:
        return failed(f"timeout after {client.timeout}s and {client.max_retries} retries", "timeout")
    except openai.AuthenticationError:
        raise NewsalignError(
            f"{client.base_url} rejected the key (401): check OPENAI_API_KEY, or unset it for a local server"
        ) from None
    except (openai.PermissionDeniedError, openai.NotFoundError) as exc:
        raise NewsalignError(
            scrub(f"{client.base_url} refused the request ({exc.status_code}): {_message(exc)}")
        ) from None
    except openai.APIStatusError as exc:
        pacer.observe(exc.response.headers)
        return failed(f"HTTP {exc.status_code} after {client.max_retries} retries: {_message(exc)}",
                      f"http_{exc.status_code}", exc.body)  # fmt: skip
    except openai.APIConnectionError as exc:
        raise NewsalignError(
            scrub(f"cannot reach the LLM endpoint {client.base_url}: {exc.__cause__ or exc}")
        ) from None
    except openai.APIError as exc:  # e.g. a 200 whose body is not a chat completion
        return failed(f"unusable response: {exc}", "api_error")
    except ValueError as exc:  # a 200 whose body is not JSON at all
        return failed(f"the server answered 200 with invalid JSON ({exc})", "invalid_json",
                      {"text": raw.text[:2000]} if raw else None)  # fmt: skip
    if not hasattr(completion, "to_dict"):  # a 200 the SDK could not read as JSON (an HTML page): it hands back text
        kind = raw.headers.get("content-type", "no content type") if raw else "no content type"
        return failed(f"the server answered {raw.status_code if raw else 200} with {kind}, not a chat completion",
                      "invalid_json", {"text": str(completion)[:2000]})  # fmt: skip
    checked = log.record_completion(con, job, completion.to_dict(), latency_s=time.monotonic() - started)
    on_result("error" if checked.error else "ok", job)


def _message(exc) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("message") or exc.message).splitlines()[0][:300]
