"""Recorded answers: fill `llm_calls` from a JSONL file of answers recorded earlier, so that a normal
run then finds every article answered and makes zero calls (`newsalign demo` needs no key, no network).

Each line names an article and carries the model's answer, either as the raw chat completion body
or as the bare answer object:

    {"url": "https://www.bbc.com/news/...", "response": {"choices": [...], "usage": {...}, ...}}
    {"article_id": "3f2a...", "output": {"topics": ["...", ...], "signal": true, "rationale": "..."}}

The answer goes through the same checking and recording as a live or batch answer (`record_completion`),
under the cache key the normal run computes for that article now, with mode = 'recorded' and a note
naming the file, so sample answers are never mistaken for real ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.core.files import read_text, writing
from newsalign.enrich.llm.prompt import DEFAULT_PROMPT, load_prompt
from newsalign.enrich.llm.run import default_model
from newsalign.enrich.llm.store import CallLog, plan


@dataclass
class Loaded:
    stored: int = 0  # answers recorded
    cached: int = 0  # article already answered under this model and prompt
    unknown: int = 0  # article not in the warehouse
    errors: int = 0  # recorded, but the answer failed its checks


def load_recorded(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    model: str | None = None,
    prompt_version: str = DEFAULT_PROMPT,
) -> Loaded:
    """Record the answers in `path` for the articles it names that are stored and not yet answered."""
    path, model = Path(path), model or default_model()
    records = _read(path)
    by_url = dict(con.execute("SELECT url, id FROM v_articles_clean WHERE url IS NOT NULL").fetchall())
    wanted: dict[str, dict] = {}
    loaded = Loaded()
    for record in records:
        article_id = record.get("article_id") or by_url.get(record.get("url"))
        if article_id is None:
            loaded.unknown += 1
        else:
            wanted[article_id] = record
    if not wanted:
        return loaded
    todo = plan(con, model=model, prompt=load_prompt(prompt_version), ids=list(wanted))
    loaded.unknown += len(wanted) - todo.total
    loaded.cached = todo.cached
    log = CallLog("recorded")
    for job in todo.jobs():
        record = wanted[job.article_id]
        body = record.get("response") or _completion_body(record["output"], model)
        checked = log.record_completion(con, job, body, note=f"recorded answer from {path.name}")
        loaded.errors += bool(checked.error)
        loaded.stored += 1
    return loaded


def dump_recorded(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Write the current answers (`int_llm_results`, recorded ones excluded) as a recorded-answers file:
    one line per article with its url (or id) and the raw response. Returns the lines written."""
    rows = con.execute(
        "SELECT a.url, a.id, c.response FROM int_llm_results r JOIN v_articles_clean a ON a.id = r.article_id "
        "JOIN llm_calls c ON c.call_id = r.call_id WHERE r.mode <> 'recorded' ORDER BY a.id"
    ).fetchall()
    with writing(path, "recorded answers") as out:
        for url, article_id, response in rows:
            name = {"url": url} if url else {"article_id": article_id}
            out.write(json.dumps({**name, "response": json.loads(response)}, ensure_ascii=False) + "\n")
    return len(rows)


def _read(path: Path) -> list[dict]:
    lines = read_text(path, "recorded answers").splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NewsalignError(f"{path}:{number}: not JSON: {exc}") from None
        if not isinstance(record, dict) or not (record.get("url") or record.get("article_id")):
            raise NewsalignError(f'{path}:{number}: needs "url" or "article_id"')
        if not isinstance(record.get("response"), dict) and not isinstance(record.get("output"), dict):
            raise NewsalignError(f'{path}:{number}: needs "response" (a chat completion) or "output" (the answer)')
        records.append(record)
    return records


def _completion_body(output: dict, model: str) -> dict:
    """Wrap a bare answer in the chat completion shape the API would have returned."""
    return {
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(output)}}
        ],
    }
