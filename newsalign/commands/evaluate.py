"""`newsalign evaluate`: compare models and baselines on the held-out split of an export."""

from __future__ import annotations

from pathlib import Path

import click

from newsalign.cli import db_option
from newsalign.options import FRACTION, POSITIVE_INT, SEED, TEXT, Integer

MAX_BOOTSTRAP = 100_000  # resamples: beyond this the intervals do not change, the run just takes hours


@click.command()
@click.option(
    "--model",
    "specs",
    multiple=True,
    required=True,
    metavar="NAME=PATH",
    help="A model dir or LoRA adapter dir; repeat.",
)
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Export directory (newsalign export ...).",
)
@click.option(
    "--out", "out_dir", default="report", show_default=True, type=click.Path(file_okay=False), help="Report directory."
)
@click.option("--batch-size", default=8, show_default=True, type=POSITIVE_INT, help="Articles per forward pass.")
@click.option(
    "--bootstrap",
    default=1000,
    show_default=True,
    type=Integer(min=0, max=MAX_BOOTSTRAP),
    help="Bootstrap resamples (0: no intervals).",
)
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the bootstrap and the TF-IDF baseline.")
@click.option(
    "--max-length",
    default=None,
    type=Integer(min=8),
    help="Max tokens per prompt+answer, prompt start cut (default: the max_length the models were trained with, "
    "else 1024).",
)
@click.option("--split", type=TEXT, default="test", show_default=True, help="Which split of the export to evaluate on.")
@click.option(
    "--threshold",
    default=None,
    type=FRACTION,
    help="Fixed decision threshold on P(signal) (default: chosen per model on the validation split).",
)
@click.option("--device", type=TEXT, default=None, help="torch device (default: cuda when available, else cpu).")
@click.option("--no-baselines", is_flag=True, help="Skip the majority and TF-IDF baselines.")
@click.option(
    "--calibrate",
    type=click.Choice(["platt", "none"]),
    default="platt",
    show_default=True,
    help="Calibrate each model's P(signal) on the validation split (Platt scaling) and report the test ECE after it.",
)
@click.option(
    "--labellers",
    is_flag=True,
    help="Also score the automated labellers (the LLM's signal, the Trends rule, their OR) from the lake at --db "
    "against the split's labels: with an export made --test-from gold, against people's judgement.",
)
@db_option
def evaluate(
    specs,
    data_dir,
    out_dir,
    batch_size,
    bootstrap,
    seed,
    max_length,
    split,
    threshold,
    device,
    no_baselines,
    calibrate,
    labellers,
    db,
) -> None:
    """Score models on held-out articles by answer log-probs; write report.md, metrics.json and plots.

    Each model answers the export's prompt with " Yes" or " No" (from its card.json); P(signal) is the
    softmax over the two answers' log-probs; each model's decision threshold is chosen on the export's
    validation split, and the metrics are on the test split. Reports accuracy, precision, recall, F1, ROC-AUC, ECE
    with bootstrap 95% intervals, against a majority-class and a TF-IDF + logistic-regression baseline,
    plus the training curves from each model's trainer_state.json.

    \b
    Examples:
      newsalign evaluate --model base=models/base --model dpo=runs/dpo --data exports/dpo --out report/
      newsalign evaluate --model dpo=runs/dpo/checkpoint-500 --data exports/dpo --bootstrap 200 --batch-size 16
    """
    from newsalign.training.evaluate import evaluate_models, parse_model_specs, print_comparison
    from newsalign.warehouse import connect

    lake = connect(db, read_only=True) if labellers else None
    result = evaluate_models(
        parse_model_specs(list(specs)),
        data_dir,
        out_dir,
        batch_size=batch_size,
        bootstrap=bootstrap,
        seed=seed,
        max_length=max_length,
        device=device,
        split=split,
        with_baselines=not no_baselines,
        threshold=threshold,
        calibrate=calibrate,
        labellers_con=lake,
    )
    if lake is not None:
        lake.close()
    print_comparison(result)
    for note in result["notes"]:
        click.echo(f"note: {note}")
    click.echo(f"wrote {Path(out_dir) / 'report.md'} and {Path(out_dir) / 'metrics.json'}")
