"""Demo steps after labelling: the thesis-format dataset file, then (with --train) export, tiny
training and the side-by-side evaluation. A random tiny model trained for a few steps on ~25
articles proves the path end to end; its numbers say nothing about quality."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

DEMO_TEST_SIZE = 0.3  # ~25 articles: a larger held-out share than the default 0.1 so the table has rows


def dataset_path(db: Path) -> Path:
    return db.with_name(f"{db.stem}-dataset.json")


def train_dir(db: Path) -> Path:
    return db.with_name(f"{db.stem}-train")


def dataset_step(ctx) -> None:
    """Write the labelled articles in the thesis's dataset format beside the warehouse."""
    from newsalign.warehouse import connect
    from newsalign.warehouse.thesis_dataset import export_dataset

    con = connect(ctx.db)
    try:
        rows = export_dataset(con, dataset_path(ctx.db))
    finally:
        con.close()
    ctx.echo(f"\nThesis-format dataset: {rows} labelled articles -> {dataset_path(ctx.db)}")


def train_step(ctx) -> None:
    """--train: export sets, train base/SFT->DPO and reward->RLHF tiny models, evaluate them side by side."""
    if not ctx.train:
        ctx.echo(
            "\nNext: `newsalign demo --train` also trains tiny SFT->DPO and reward->RLHF models on CPU and compares them."
        )
        return
    from newsalign.training.evaluate import evaluate_models
    from newsalign.training.pipeline import run_demo_training
    from newsalign.training.report import print_comparison

    workdir = train_dir(ctx.db)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    log = workdir / "train.log"
    ctx.echo(f"\nTraining tiny models on CPU under {workdir} (a few steps each; progress in {log}) ...")
    report = workdir / "report"
    with log.open("w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        models = run_demo_training(ctx.db, workdir, test_size=DEMO_TEST_SIZE)
        compared = {name: models[name] for name in ("base", "dpo", "rlhf")}
        result = evaluate_models(compared, workdir / "exports" / "dpo", report, bootstrap=200)
    ctx.echo(
        f"\nHeld-out comparison ({result['data']['n']} articles; tiny random model, a few steps: a smoke test, not a result):"
    )
    print_comparison(result)
    ctx.echo(f"Report, metrics and plots: {report}/report.md")
