"""`newsalign export {dpo,reward,rl,kto,sft}`: TRL training sets from the warehouse (see docs/training.md)."""

from __future__ import annotations

from pathlib import Path

import click

from newsalign.cli import db_option, format_option, options
from newsalign.options import COUNT, IDENTIFIER, OPEN_FRACTION, POSITIVE_INT, SEED
from newsalign.training.prompt import DEFAULT_ANSWERS

FORMATS = {
    "dpo": "prompt/chosen/rejected (chosen = the label, rejected = the opposite)",
    "reward": "prompt/chosen/rejected, for a reward model",
    "rl": "prompt plus the gold label and answer, for online RL",
    "kto": "prompt/completion/label: both answers, label True for the correct one",
    "sft": "prompt/completion: the correct answer",
}

# The options of every `newsalign export <kind>`, one per `training.export.ExportOptions` field.
export_options = options(
    click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output directory."),
    click.option(
        "--split",
        type=click.Choice(["random", "time"]),
        default="random",
        show_default=True,
        help="random, or time: train on the oldest articles, validate on newer, test on the newest.",
    ),
    click.option(
        "--test-size", type=OPEN_FRACTION, default=0.1, show_default=True, help="Share of articles held out for test."
    ),
    click.option(
        "--validation-size",
        type=OPEN_FRACTION,
        default=0.1,
        show_default=True,
        help="Share of articles held out for validation (eval curves, threshold choice).",
    ),
    click.option("--seed", type=SEED, default=42, show_default=True),
    click.option(
        "--balance",
        type=click.Choice(["none", "downsample", "weights"]),
        default="none",
        show_default=True,
        help="Downsample the majority class in train, or add a `weight` column.",
    ),
    click.option(
        "--max-article-tokens",
        type=POSITIVE_INT,
        default=512,
        show_default=True,
        help="Cut title + text to this many tokens before building the prompt.",
    ),
    click.option(
        "--tokenizer",
        type=click.Path(),
        default=None,
        help="Tokenizer directory for counting tokens (default: a word/punctuation estimate).",
    ),
    click.option(
        "--label", type=IDENTIFIER, default="v_signal", show_default=True, help="View or table with (id, signal)."
    ),
    format_option("parquet", "jsonl"),
    click.option(
        "--answers",
        nargs=2,
        default=DEFAULT_ANSWERS,
        show_default=True,
        help="Positive and negative answer, of equal token length.",
    ),
)


def _export_command(kind: str) -> click.Command:
    @click.command(
        kind,
        help=f"""Export the {kind} training set: {FORMATS[kind]}.

    Writes train.<format>, validation.<format>, test.<format> and a dataset card (README.md, card.json) to OUT.

    \b
    Examples:
      newsalign export {kind} --out exports/{kind}
      newsalign export {kind} --out exports/{kind} --split time --balance downsample --tokenizer outputs/tiny-model
    """,
    )
    @export_options
    @click.option(
        "--snapshot",
        type=COUNT,
        default=None,
        help="Export the warehouse as it was at this lake snapshot id (the card of an earlier export names it).",
    )
    @click.option(
        "--test-from",
        type=click.Choice(["gold"]),
        default=None,
        help="gold: the test split is exactly the gold-labelled articles (newsalign review), with the people's labels.",
    )
    @db_option
    def command(snapshot, db, fmt, answers, **settings):
        from newsalign.training.export import ExportOptions

        options = ExportOptions(kind=kind, format=fmt, answers=tuple(answers), **settings)
        _export(options, snapshot, db)

    return command


def _export(options, snapshot: int | None, db: str | None) -> None:
    """Export at `snapshot` (default: the lake's current one, pinned so every query reads the same state)."""
    from newsalign.training.export import export_training_set
    from newsalign.warehouse import connect, current_snapshot

    if snapshot is None:
        with connect(db, read_only=True) as con:
            snapshot = current_snapshot(con)
    with connect(db, must_exist=True, snapshot=snapshot) as con:
        card = export_training_set(con, options, snapshot=snapshot)
    rows, out = card["rows"], options.out
    click.echo(
        f"Wrote {rows['train']} train, {rows['validation']} validation and {rows['test']} test rows to {out} "
        f"({card['truncated_articles']} articles truncated; card: {out / 'README.md'})"
    )


dpo = _export_command("dpo")
reward = _export_command("reward")
rl = _export_command("rl")
kto = _export_command("kto")
sft = _export_command("sft")
