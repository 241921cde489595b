"""`newsalign score`: a trained model's verdict on stored articles, written to `predictions`.

The same prompt (`training.prompt.PromptBuilder`) and log-prob scorer (`training.scoring.answer_logprobs`)
as `newsalign evaluate`, then the model's decision (`training.decision`): P(signal) > threshold, and the
calibrated probability. One row per (article, model content hash): articles already scored by this
model are skipped, each chunk is committed as it is scored (an interrupted run resumes), and the insert
re-checks the pairs inside its transaction, so two scorers at once still write each pair once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from newsalign import warehouse
from newsalign.core.errors import NewsalignError
from newsalign.training.decision import Decision, load_decision
from newsalign.training.metrics_trainer import load_run_facts
from newsalign.training.prompt import DEFAULT_ANSWERS, DEFAULT_PROMPT_VERSION, PromptBuilder
from newsalign.training.scoring import answer_logprobs, check_model_folder, load_model, p_signal

CHUNK = 256  # articles loaded, scored and committed at once
DEFAULT_MAX_LENGTH = 1024  # as `evaluate`: TRL's default, for models whose training recorded none


@dataclass
class ScoreSummary:
    model: str
    model_hash: str
    decision: Decision
    todo: int
    already: int
    scored: int = 0
    signals: int = 0

    def line(self) -> str:
        return (
            f"{self.scored} articles scored ({self.signals} signals), {self.already} scored before by this model; "
            f"threshold {self.decision.threshold:.3f} from {self.decision.source}"
        )


def model_hash(path) -> str:
    """sha256 over the model folder's files (relative names and contents; checkpoints left out)."""
    root = Path(path).resolve()
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = file.relative_to(root)
        if rel.parts[0].startswith("checkpoint-") or rel.name.startswith("."):
            continue
        digest.update(str(rel).encode() + b"\0")
        with file.open("rb") as handle:  # (hashlib.file_digest is 3.11+; the project supports 3.10)
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def pending_articles(con: duckdb.DuckDBPyConnection, digest: str, where: str | None) -> tuple[list[str], int]:
    """(ids of the articles matching `where` that this model has not scored, how many it has)."""
    condition = f"({where})" if where else "true"
    try:
        rows = con.execute(
            f"SELECT id, id IN (SELECT article_id FROM predictions WHERE model_hash = ?) AS done "
            f"FROM v_articles_clean WHERE {condition} ORDER BY fetched_at, id",
            [digest],
        ).fetchall()
    except duckdb.Error as exc:
        raise NewsalignError(
            f"--where {where!r} is not a usable condition on v_articles_clean: {str(exc).splitlines()[0]}"
        ) from None
    return [i for i, done in rows if not done], sum(done for _, done in rows)


def score_articles(
    con: duckdb.DuckDBPyConnection,
    model_dir,
    *,
    where: str | None = None,
    batch_size: int = 8,
    metrics: Path | None = None,
    prompt_version: str = DEFAULT_PROMPT_VERSION,
    max_article_tokens: int = 512,
    device: str | None = None,
    loaded: tuple | None = None,
    digest: str | None = None,
    on_progress: Callable[[int], None] = lambda n: None,
) -> ScoreSummary:
    """Score every article of v_articles_clean matching `where` that `model_dir` has not scored yet.
    `loaded`, `digest`: the (model, tokenizer) and `model_hash` of `model_dir`, when known already (a watch
    loop keeps them)."""
    if batch_size < 1:
        raise NewsalignError(f"--batch-size must be at least 1, not {batch_size}")
    model_dir = Path(model_dir).resolve()
    check_model_folder(model_dir)  # its config readable, even when nothing is left to score
    digest = digest or model_hash(model_dir)
    decision = load_decision(model_dir, metrics)
    todo, already = pending_articles(con, digest, where)
    summary = ScoreSummary(str(model_dir), digest, decision, len(todo), already)
    if not todo:
        return summary
    model, tokenizer = loaded or load_model(model_dir, device=device)
    builder = PromptBuilder(max_article_tokens, tokenizer, prompt_version)
    max_length = load_run_facts(model_dir).get("max_length") or DEFAULT_MAX_LENGTH
    for start in range(0, len(todo), CHUNK):
        frame = con.execute(
            "SELECT id, title, text FROM v_articles_clean WHERE id IN (SELECT unnest(?)) ORDER BY id",
            [todo[start : start + CHUNK]],
        ).df()
        prompts = [builder(title or "", text or "") for title, text in zip(frame["title"], frame["text"])]
        scores = p_signal(
            answer_logprobs(model, tokenizer, prompts, DEFAULT_ANSWERS, batch_size=batch_size, max_length=max_length)
        )
        rows = _rows(frame["id"], scores, summary)
        summary.scored += _insert(con, rows)
        summary.signals += int(rows["signal"].sum())
        on_progress(len(frame))
    return summary


def _rows(ids, scores, summary: ScoreSummary) -> pd.DataFrame:
    decision = summary.decision
    return pd.DataFrame(
        {
            "article_id": list(ids),
            "model": summary.model,
            "model_hash": summary.model_hash,
            "score": scores,
            "probability": decision.probability(scores),
            "threshold": decision.threshold,
            "signal": decision.signal(scores),
            "scored_at": datetime.now(timezone.utc),
        }
    )


def _insert(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """Insert the rows whose (article, model) pair is not stored yet, in one transaction; how many were new."""

    def work(c: duckdb.DuckDBPyConnection) -> int:
        c.register("batch_predictions", rows)
        try:
            (inserted,) = c.execute(  # an INSERT answers with the number of rows it inserted
                "INSERT INTO predictions BY NAME SELECT * FROM batch_predictions b WHERE NOT EXISTS "
                "(SELECT 1 FROM predictions p WHERE p.model_hash = b.model_hash AND p.article_id = b.article_id)"
            ).fetchone()
            return inserted
        finally:
            c.unregister("batch_predictions")

    return warehouse.in_transaction(con, work)
