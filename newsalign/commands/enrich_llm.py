"""`newsalign enrich llm`: topics and the investment signal for each stored article, one LLM call each."""

from __future__ import annotations

import click

from newsalign.cli import db_option, shard_option
from newsalign.enrich.llm.prompt import PROMPTS_DIR
from newsalign.options import COUNT, HTTP_URL, POSITIVE, POSITIVE_INT, TEXT, Number
from newsalign.warehouse import connect


@click.command("llm")
@db_option
@click.option("--limit", type=POSITIVE_INT, default=None, help="At most N calls (articles) this run.")
@click.option("--model", type=TEXT, default=None, help="Model name. Default: $NEWSALIGN_LLM_MODEL, else gpt-4o-mini.")
@click.option(
    "--prompt",
    "prompt_version",
    type=click.Choice(sorted(path.stem for path in PROMPTS_DIR.glob("*.txt"))),
    default="signal_v1",
    show_default=True,
    help="Prompt version (enrich/prompts/).",
)
@click.option("--concurrency", type=POSITIVE_INT, default=8, show_default=True, help="Calls in flight at once.")
@click.option("--batch", is_flag=True, help="Use the OpenAI Batch API (half price, within 24 h; resumable).")
@click.option("--dry-run", is_flag=True, help="Print the number of calls and the estimated cost; call nothing.")
@click.option(
    "--base-url",
    type=HTTP_URL,
    default=None,
    help="OpenAI-compatible endpoint. Default: $OPENAI_BASE_URL, else OpenAI.",
)
@click.option(
    "--timeout", type=Number(min=0.1, max=86400), default=60.0, show_default=True, help="Seconds per request."
)
@click.option("--max-retries", type=COUNT, default=4, show_default=True, help="Retries on 429/5xx/timeouts.")
@click.option(
    "--max-attempts",
    type=POSITIVE_INT,
    default=3,
    show_default=True,
    help="Failed calls per article, over all runs, before it is recorded as gave_up.",
)
@shard_option("ask only about the articles of shard i of N (by article id), e.g. one per machine")
@click.option("--retry-failed", is_flag=True, help="Ask the articles that gave up again (with a fresh budget).")
@click.option("--rpm", type=POSITIVE, default=None, help="Requests per minute at most.")
@click.option("--tpm", type=POSITIVE, default=None, help="Tokens per minute at most.")
@click.option(
    "--poll-interval",
    type=Number(min=0.1, max=86400),
    default=30.0,
    show_default=True,
    help="Seconds between batch polls.",
)
def llm(db, model, shard, batch, dry_run, max_attempts, **calls) -> None:
    """Ask an LLM, once per stored article without a current answer, for 10 topics (most specific
    first) and whether the article is an early, not yet widely known innovative event that is an
    investment opportunity (with a one-sentence rationale). Answers are cached in llm_calls: a
    re-run calls nothing already answered, and an interrupted run resumes where it stopped.

    Configure with OPENAI_API_KEY, or OPENAI_BASE_URL / --base-url for a local OpenAI-compatible
    server (vLLM, Ollama, llama.cpp; no key needed). Results: the int_llm_results view.

    Calls are paced to --rpm / --tpm and to the server's x-ratelimit-* headers. An article whose
    call fails --max-attempts times over all runs is recorded as gave_up and skipped until
    --retry-failed. The key is never stored, logged or printed, even when a server echoes it.

    \b
    Examples:
      newsalign enrich llm --dry-run
      newsalign enrich llm --limit 100 --concurrency 16 --rpm 500 --tpm 200000
      newsalign enrich llm --retry-failed
      newsalign enrich llm --shard 2/4   # on machine 2 of 4, all sharing one lake
      newsalign enrich llm --batch
      newsalign enrich llm --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct
    """
    from tqdm import tqdm

    from newsalign.enrich.llm import default_model, enrich_llm
    from newsalign.enrich.llm.prices import price_table

    model = model or default_model()
    price_table()  # $NEWSALIGN_LLM_PRICES read and checked before the lake is opened
    con = connect(db, must_exist=True)
    progress = None

    def on_start(summary):
        nonlocal progress
        if not batch:
            progress = tqdm(desc="llm calls", unit="call", total=summary.calls, leave=False)

    def on_result(status, job):
        progress.update()

    def on_status(batch_id, status):
        click.echo(f"batch {batch_id}: {status}", err=True)

    gap = None
    try:
        summary = enrich_llm(
            con, model=model, batch=batch, dry_run=dry_run, max_attempts=max_attempts, shard=shard,
            on_start=on_start, on_result=on_result, on_status=on_status, **calls,
        )  # fmt: skip
        if not dry_run:
            from newsalign.enrich.coverage import label_gap

            gap = label_gap(con)
    finally:
        if progress is not None:
            progress.close()
        con.close()
    if dry_run:
        cost = (
            "unknown price (set $NEWSALIGN_LLM_PRICES)"
            if summary.est_cost_usd is None
            else f"~${summary.est_cost_usd:.4f}"
        )
        click.echo(
            f"dry run: {summary.calls} calls to {model} ({summary.cached} of {summary.articles} articles already answered); "
            f"~{summary.est_prompt_tokens:,} prompt tokens; estimated cost {cost}{' (batch price)' if batch else ''}"
        )
        return
    cost = "" if summary.cost_usd is None else f"; cost ~${summary.cost_usd:.4f}"
    click.echo(f"{summary.line()}{cost}")
    if summary.errors:
        click.echo(f"{summary.errors} calls failed; see llm_calls (status <> 'ok'); a re-run retries them", err=True)
    if gap:
        click.echo(gap, err=True)
    if summary.gave_up or summary.new_gave_up:
        click.echo(
            f"{summary.gave_up + summary.new_gave_up} articles gave up after {max_attempts} failed attempts "
            "(llm_calls.status = 'gave_up', with the last error); `newsalign enrich llm --retry-failed` asks them again",
            err=True,
        )
