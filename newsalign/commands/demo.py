"""`newsalign demo`: crawl the embedded sample sites into a fresh warehouse and show what happened."""

from __future__ import annotations

import click

from newsalign.cli import db_option


@click.command()
@db_option
@click.option(
    "--live",
    is_flag=True,
    help="Enrich with the real services (an OpenAI key or OPENAI_BASE_URL; Google Trends via pytrends) instead of the sample answers and series.",
)
@click.option(
    "--train",
    is_flag=True,
    help="Also export training sets, train tiny SFT->DPO and reward->RLHF models on CPU, and evaluate them side by side.",
)
def demo(db: str | None, live: bool, train: bool) -> None:
    """Run the platform offline on a built-in sample of the six news sites.

    Serves a small copy of each site on 127.0.0.1, crawls it with the real spiders (Reuters through
    headless Chromium) and pipelines into a fresh warehouse (--db, else $NEWSALIGN_DB if that file
    does not exist yet, else data/demo; recreated on every run), then prints per source what
    was fetched, stored and rejected (and why); then enriches the articles from recorded sample
    answers and synthetic Trends series (no key, no network; --live calls the real services) and
    prints the label rates, examples, and queries to try next. It writes the labelled set in the
    thesis's dataset format beside the warehouse. --train then exports training sets, trains tiny
    models for a few steps on CPU (base, SFT->DPO, reward->RLHF) and prints their comparison with
    the baselines (report under <db>-train/report/).

    \b
    Examples:
      newsalign demo
      newsalign demo --db /tmp/demo
      newsalign demo --train
      OPENAI_API_KEY=sk-... newsalign demo --live
    """
    from newsalign.demo import run_demo

    run_demo(db, echo=click.echo, live=live, train=train)
