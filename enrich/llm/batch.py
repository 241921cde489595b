"""Batch API mode (half price, answers within 24 h): upload the requests as JSONL, create a batch
(custom_id = cache key), poll it, download the output file and record each answer.

Resumable: the intent to create a batch (its requests and an intent id) is stored in `llm_batches`
/ `llm_batch_requests` before the batch is created, with the intent id in the batch's metadata. The
API's batch id replaces the intent id once known; a run that died in between (status `submitting`)
finds its batch by that metadata (`batches.list`) instead of paying for a second one. A later run
picks every open batch up and waits for it. Results are stored in one transaction per batch.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.enrich.llm.store import OPEN_BATCH, CallLog, Job
from newsalign.warehouse.lake import in_transaction, retry

MAX_REQUESTS = 50_000  # the Batch API's limit per batch
ENDPOINT = "/v1/chat/completions"
FINAL = ("completed", "failed", "expired", "cancelled")
SUBMITTING = "submitting"  # intent recorded; batch_id is still the intent id
INTENT_KEY = "newsalign_intent"


@contextmanager
def clear_errors(client) -> Iterator[None]:
    """Turn Batch API failures into one line (whatever was stored stays; a re-run resumes)."""
    import openai

    try:
        yield
    except openai.APIConnectionError as exc:
        raise NewsalignError(
            scrub(f"cannot reach the LLM endpoint {client.base_url}: {exc.__cause__ or exc}")
        ) from None
    except openai.AuthenticationError:
        raise NewsalignError(f"{client.base_url} rejected the key (401): check OPENAI_API_KEY") from None
    except openai.APIStatusError as exc:
        hint = (
            "OpenAI has it, most local servers do not: run without --batch"
            if exc.status_code == 404
            else "what was recorded is kept; a re-run resumes"
        )
        raise NewsalignError(
            scrub(
                f"the Batch API at {client.base_url} answered {exc.status_code} ({exc.message.splitlines()[0][:200]}); {hint}"
            )
        ) from None


def open_batches(con: duckdb.DuckDBPyConnection, client) -> list[str]:
    """The batches to wait for: every open one, after creating (or finding) those left `submitting`."""
    rows = con.execute(f"SELECT batch_id, status FROM llm_batches WHERE {OPEN_BATCH} ORDER BY submitted_at").fetchall()
    return [_create(con, client, b) if status == SUBMITTING else b for b, status in rows]


def submit(con: duckdb.DuckDBPyConnection, client, jobs: Iterable[Job]) -> list[str]:
    """Create one batch per 50,000 jobs; returns the new batch ids."""
    created, chunk = [], []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == MAX_REQUESTS:
            created.append(_submit_chunk(con, client, chunk))
            chunk = []
    if chunk:
        created.append(_submit_chunk(con, client, chunk))
    return created


def _submit_chunk(con, client, jobs: list[Job]) -> str:
    lines = [{"custom_id": j.cache_key, "method": "POST", "url": ENDPOINT, "body": j.request} for j in jobs]
    payload = "".join(json.dumps(line) + "\n" for line in lines).encode()
    uploaded = client.files.create(file=("newsalign-llm-batch.jsonl", payload), purpose="batch")
    intent = f"intent-{uuid.uuid4().hex}"
    requests = pa.table({
        "batch_id": [intent] * len(jobs),
        "cache_key": [j.cache_key for j in jobs],
        "article_id": [j.article_id for j in jobs],
        "content_hash": [j.content_hash for j in jobs],
        "request": [json.dumps(scrub(j.request)) for j in jobs],
    })  # fmt: skip

    def record(c: duckdb.DuckDBPyConnection) -> None:
        c.execute(
            "INSERT INTO llm_batches (batch_id, model, prompt_version, input_file_id, status, request_count) VALUES (?, ?, ?, ?, ?, ?)",
            [intent, jobs[0].request["model"], jobs[0].prompt_version, uploaded.id, SUBMITTING, len(jobs)],
        )
        c.execute("INSERT INTO llm_batch_requests SELECT * FROM new_batch_requests")

    con.register("new_batch_requests", requests)
    try:
        in_transaction(con, record)
    finally:
        con.unregister("new_batch_requests")
    return _create(con, client, intent, resume=False)


def _create(con, client, intent: str, *, resume: bool = True) -> str:
    """Create the batch of a recorded intent, or find the one an interrupted run created; then
    record the API's id in place of the intent id."""
    input_file_id, submitted = con.execute(
        "SELECT input_file_id, epoch(submitted_at) FROM llm_batches WHERE batch_id = ?", [intent]
    ).fetchone()
    batch = None
    for listed in client.batches.list(limit=100) if resume else ():  # newest first
        if (listed.metadata or {}).get(INTENT_KEY) == intent:
            batch = listed
            break
        if listed.created_at < submitted - 3600:  # older than the intent (clock skew allowed): stop
            break
    if batch is None:  # no SDK retries here: a retried create could make a second batch
        batch = client.with_options(max_retries=0).batches.create(
            input_file_id=input_file_id, endpoint=ENDPOINT, completion_window="24h",
            metadata={"source": "newsalign", INTENT_KEY: intent},
        )  # fmt: skip

    def rename(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("UPDATE llm_batches SET batch_id = ?, status = ?, updated_at = now() WHERE batch_id = ?",
                  [batch.id, batch.status, intent])  # fmt: skip
        c.execute("UPDATE llm_batch_requests SET batch_id = ? WHERE batch_id = ?", [batch.id, intent])

    in_transaction(con, rename)
    return batch.id


def wait_and_collect(
    con: duckdb.DuckDBPyConnection,
    client,
    batch_id: str,
    *,
    poll_interval: float = 30.0,
    on_status: Callable[[str, str], None] = lambda batch_id, status: None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Poll until the batch is final, then record every answer. Returns counts of ok and error rows."""
    while True:
        batch = client.batches.retrieve(batch_id)
        retry(
            lambda status=batch.status: con.execute(
                "UPDATE llm_batches SET status = ?, updated_at = now() WHERE batch_id = ?", [status, batch_id]
            )
        )
        on_status(batch_id, batch.status)
        if batch.status in FINAL:
            break
        sleep(poll_interval)
    return _collect(con, client, batch)


def _collect(con, client, batch) -> dict[str, int]:
    (prompt_version,) = con.execute("SELECT prompt_version FROM llm_batches WHERE batch_id = ?", [batch.id]).fetchone()
    jobs = {
        key: Job(article_id, content_hash, key, prompt_version, json.loads(request))
        for key, article_id, content_hash, request in con.execute(
            "SELECT cache_key, article_id, content_hash, request FROM llm_batch_requests WHERE batch_id = ?", [batch.id]
        ).fetchall()
    }
    lines, unreadable = [], 0
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            for text in client.files.content(file_id).text.splitlines():
                try:
                    line = json.loads(text) if text.strip() else None
                except json.JSONDecodeError:
                    line = None
                    unreadable += 1  # its request gets the "no line" error below
                if isinstance(line, dict):
                    lines.append(line)

    def record(
        c: duckdb.DuckDBPyConnection,
    ) -> dict[str, int]:  # all or nothing: after a crash the next run collects again
        counts, pending, log = {"ok": 0, "error": 0}, dict(jobs), CallLog("batch")
        for line in lines:
            job = pending.pop(line.get("custom_id"), None)
            if job is None:
                continue  # not ours (or answered twice): nothing to match it to
            response = line.get("response") or {}
            if response.get("status_code") == 200:
                checked = log.record_completion(c, job, response["body"], batch_id=batch.id)
                counts["error" if checked.error else "ok"] += 1
            else:
                error = line.get("error") or (response.get("body") or {}).get("error") or {}
                status = response.get("status_code")
                log.record_failure(c, job, f"batch request failed (HTTP {status}): {error.get('message', error)}",
                                   [f"http_{status}" if status else "batch_error"], response=line,
                                   batch_id=batch.id)  # fmt: skip
                counts["error"] += 1
        for job in pending.values():  # no line: the batch stopped first, or the output file lacks it
            missing = f"no answer line in the batch output (batch {batch.status}"
            missing += f", {unreadable} unreadable lines)" if unreadable else ")"
            log.record_failure(c, job, missing, [f"batch_{batch.status}"], batch_id=batch.id)
            counts["error"] += 1
        c.execute("UPDATE llm_batches SET status = 'collected', output_file_id = ?, error_file_id = ?, "
                  "updated_at = now() WHERE batch_id = ?", [batch.output_file_id, batch.error_file_id, batch.id])  # fmt: skip
        return counts

    return in_transaction(con, record)
