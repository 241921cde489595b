"""The cache: which articles still need a call (`plan`), and recording each call in `llm_calls`.

A call's cache key hashes everything its answer depends on. A key with an `ok` row is never asked
again; a key with only `error` rows is asked again by the next run, up to `max_attempts` calls: the
last failed one is recorded as `gave_up` (with its error), and only `--retry-failed` asks it again
(with a fresh budget). Every row is committed as soon as it is recorded, so an interrupted run
resumes where it stopped. Every stored string passes through `secrets.scrub`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.core.shards import Shard, in_shard
from newsalign.enrich.llm.prices import cost_usd
from newsalign.enrich.llm.prompt import TEXT_BUDGET_CHARS, Prompt
from newsalign.enrich.llm.schema import Checked, check_completion, response_format
from newsalign.warehouse.lake import retry

PARAMS = {"temperature": 0, "max_completion_tokens": 600}
OPEN_BATCH = "status <> 'collected'"  # not yet stored, whatever the API says
_CHUNK = 500  # articles whose text is loaded at once


@dataclass(frozen=True)
class Job:
    """One call to make: for which article, under which key, with which request body."""

    article_id: str
    content_hash: str
    cache_key: str
    prompt_version: str
    request: dict
    attempts: int = 0  # failed calls already made since the key last gave up
    max_attempts: int | None = None  # None: no cap (recorded answers)

    @property
    def last_attempt(self) -> bool:
        return self.max_attempts is not None and self.attempts + 1 >= self.max_attempts


def cache_key(*, model: str, prompt: Prompt, article_id: str, content_hash: str, title: str) -> str:
    parts = {
        "model": model,
        "prompt": prompt.version,
        "prompt_sha256": prompt.sha256,
        "article_id": article_id,
        "content_hash": content_hash,
        "title": title,
        "params": PARAMS,
        "text_budget": TEXT_BUDGET_CHARS,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def build_request(model: str, prompt: Prompt, row: dict) -> dict:
    published = row["date_published"].date().isoformat() if row["date_published"] else "unknown"
    messages = prompt.messages(title=row["title"], source=row["source"], published=published, text=row["text"])
    return {"model": model, "messages": messages, "response_format": response_format(), **PARAMS}


@dataclass
class Plan:
    """Articles considered, how many are already answered, and the keys still to ask."""

    con: duckdb.DuckDBPyConnection
    model: str
    prompt: Prompt
    total: int
    cached: int
    in_batch: int
    todo: list[tuple[str, str]]  # (article_id, cache_key), in a stable order
    gave_up: int = 0  # keys skipped because they used up their attempts
    attempts: dict[str, int] = field(default_factory=dict)  # cache_key -> failed calls so far
    max_attempts: int | None = None

    def jobs(self) -> Iterator[Job]:
        """The jobs, with article text loaded a chunk at a time (not all in memory)."""
        keys = dict(self.todo)
        for start in range(0, len(self.todo), _CHUNK):
            ids = [article_id for article_id, _ in self.todo[start : start + _CHUNK]]
            rel = self.con.execute(
                "SELECT id, source, title, date_published, text, content_hash FROM v_articles_clean "
                "WHERE id IN (SELECT unnest(?))",
                [ids],
            )
            columns = [d[0] for d in rel.description]
            rows = {row[0]: dict(zip(columns, row)) for row in rel.fetchall()}
            for article_id in ids:
                row = rows[article_id]
                request = build_request(self.model, self.prompt, row)
                key = keys[article_id]
                yield Job(article_id, row["content_hash"], key, self.prompt.version, request,
                          self.attempts.get(key, 0), self.max_attempts)  # fmt: skip


def plan(
    con: duckdb.DuckDBPyConnection,
    *,
    model: str,
    prompt: Prompt,
    limit: int | None = None,
    ids: list[str] | None = None,
    max_attempts: int | None = None,
    retry_failed: bool = False,
    shard: Shard | None = None,
) -> Plan:
    """Which stored articles (all, or `ids`; of `shard` only, by article id) have no answer yet under
    `model` and `prompt`; keys that gave up are left out unless `retry_failed`."""
    if limit is not None and limit < 1:
        raise NewsalignError(f"limit must be at least 1, not {limit}")
    if max_attempts is not None and max_attempts < 1:
        raise NewsalignError(f"max attempts must be at least 1, not {max_attempts}")
    where = "WHERE id IN (SELECT unnest(?))" if ids is not None else ""
    articles = con.execute(
        f"SELECT id, content_hash, title FROM v_articles_clean {where} ORDER BY fetched_at, id",
        [ids] if ids is not None else [],
    ).fetchall()
    answered = {k for (k,) in con.execute("SELECT DISTINCT cache_key FROM llm_calls WHERE status = 'ok'").fetchall()}
    batched = {
        k
        for (k,) in con.execute(
            f"SELECT cache_key FROM llm_batch_requests WHERE batch_id IN (SELECT batch_id FROM llm_batches WHERE {OPEN_BATCH})"
        ).fetchall()
    }
    failed = {  # cache_key -> (failed calls since the last give-up, whether it has given up)
        key: (attempts, gave_up)
        for key, attempts, gave_up in con.execute(
            "SELECT cache_key, count(*) FILTER (status = 'error' AND call_id > coalesce(g, -1)), g IS NOT NULL "
            "FROM (SELECT *, max(call_id) FILTER (status = 'gave_up') OVER (PARTITION BY cache_key) AS g "
            "      FROM llm_calls WHERE status IN ('error', 'gave_up')) GROUP BY cache_key, g"
        ).fetchall()
    }
    cached = in_batch = gave_up = 0
    todo = []
    articles = [row for row in articles if in_shard(row[0], shard)]
    for article_id, content_hash, title in articles:
        key = cache_key(model=model, prompt=prompt, article_id=article_id, content_hash=content_hash, title=title)
        if key in answered:
            cached += 1
        elif key in batched:
            in_batch += 1
        elif failed.get(key, (0, False))[1] and not retry_failed:
            gave_up += 1
        else:
            todo.append((article_id, key))
    if limit is not None:
        todo = todo[:limit]
    attempts = {key: failed[key][0] for _, key in todo if key in failed}
    return Plan(con, model, prompt, len(articles), cached, in_batch, todo, gave_up, attempts, max_attempts)


def _failed(job: Job) -> str:
    return "gave_up" if job.last_attempt else "error"


_COLUMNS = (
    "call_id, cache_key, article_id, content_hash, model, prompt_version, mode, status, error, flags, topics, signal, rationale,"
    " request, response, prompt_tokens, completion_tokens, cost_usd, latency_s, batch_id, note"
)


@dataclass
class CallLog:
    """Records one run's calls (live, batch or recorded: `mode`) in `llm_calls`, numbering them: a call id is
    microseconds since 1970, strictly increasing within the log (`last_call_id`), so ids order calls as they
    were made and processes writing one lake at once do not collide (DuckLake has no sequences)."""

    mode: str
    last_call_id: int = 0

    def record_completion(
        self,
        con: duckdb.DuckDBPyConnection,
        job: Job,
        body: dict,
        *,
        latency_s: float | None = None,
        batch_id: str | None = None,
        note: str | None = None,
    ) -> Checked:
        """Check a chat completion body and record it (ok, or an error with flags). Shared by the live,
        batch and recorded paths so each stores exactly the same thing."""
        checked = check_completion(body)
        usage = body.get("usage") or {}
        model = job.request["model"]
        judgement = checked.judgement
        self._insert(
            con,
            job,
            status=_failed(job) if checked.error else "ok",
            error=checked.error,
            flags=checked.flags,
            topics=judgement.topics if judgement else None,
            signal=judgement.signal if judgement else None,
            rationale=judgement.rationale if judgement else None,
            response=body,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            cost_usd=cost_usd(
                model, usage.get("prompt_tokens"), usage.get("completion_tokens"), batch=self.mode == "batch"
            ),
            latency_s=latency_s,
            batch_id=batch_id,
            note=note,
        )
        return checked

    def record_failure(
        self,
        con: duckdb.DuckDBPyConnection,
        job: Job,
        error: str,
        flags: list[str],
        *,
        response: object = None,
        latency_s: float | None = None,
        batch_id: str | None = None,
    ) -> None:
        """Record a call that produced no answer (timeout, HTTP error after retries, a failed batch line)."""
        self._insert(
            con, job, status=_failed(job), error=error, flags=flags, response=response,
            latency_s=latency_s, batch_id=batch_id,
        )  # fmt: skip

    def _insert(self, con, job: Job, *, status, error, flags, response, **answer) -> None:
        # One row per arriving answer, on purpose: committing each paid answer at once is what makes a
        # killed run lose nothing (calls take ~1 s, so the single-row insert costs nothing that matters).
        values = [
            self._next_call_id(), job.cache_key, job.article_id, job.content_hash, job.request["model"],
            job.prompt_version, self.mode, status,
            scrub(error), flags, answer.get("topics"), answer.get("signal"), scrub(answer.get("rationale")),
            json.dumps(scrub(job.request)), None if response is None else json.dumps(scrub(response), default=str),
            answer.get("prompt_tokens"), answer.get("completion_tokens"), answer.get("cost_usd"),
            answer.get("latency_s"), answer.get("batch_id"), answer.get("note"),
        ]  # fmt: skip
        insert = f"INSERT INTO llm_calls ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})"
        retry(lambda: con.execute(insert, values))

    def _next_call_id(self) -> int:
        self.last_call_id = max(time.time_ns() // 1000, self.last_call_id + 1)
        return self.last_call_id
