"""`newsalign score`: score stored articles with a trained model, into `predictions`."""

from __future__ import annotations

from pathlib import Path

import click

from newsalign.cli import db_option
from newsalign.options import POSITIVE_INT, TEXT


@click.command()
@click.option(
    "--model",
    "model_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="A LoRA adapter folder, a merged folder (export-model) or a base model folder.",
)
@click.option("--where", type=TEXT, default=None, help="SQL condition on v_articles_clean (default: every article).")
@click.option("--batch-size", default=8, show_default=True, type=POSITIVE_INT, help="Articles per forward pass.")
@click.option(
    "--metrics",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="An evaluation's metrics.json to take the model's threshold and calibration from "
    "(default: newsalign_decision.json beside the model, else 0.5).",
)
@click.option("--max-article-tokens", default=512, show_default=True, type=POSITIVE_INT)
@click.option("--device", type=TEXT, default=None, help="torch device (default: cuda when available, else cpu).")
@db_option
def score(model_dir, where, batch_size, metrics, max_article_tokens, device, db) -> None:
    """Score stored articles with a trained model: the same prompt and log-prob scorer as `evaluate`,
    the threshold chosen on validation, one `predictions` row per (article, model); a re-run scores only
    what is new.

    \b
    Examples:
      newsalign score --model outputs/dpo --metrics report/metrics.json
      newsalign score --model models/dpo --where "fetched_at > now() - INTERVAL 1 DAY" --batch-size 32
    """
    from tqdm.auto import tqdm

    from newsalign.training.predict import score_articles
    from newsalign.warehouse import connect

    with connect(db, must_exist=True) as con, tqdm(desc="scoring", unit="article") as bar:
        summary = score_articles(
            con, model_dir, where=where, batch_size=batch_size, metrics=Path(metrics) if metrics else None,
            max_article_tokens=max_article_tokens, device=device, on_progress=bar.update,
        )  # fmt: skip
    if summary.decision.platt is None and "none kept" in summary.decision.source:
        click.echo(f"No decision kept for {model_dir}: threshold 0.5, no calibration (give --metrics).", err=True)
    click.echo(summary.line())
