"""Demo steps after labelling: the thesis-format dataset file, then (with --train) export, tiny
training and the side-by-side evaluation. A random tiny model trained for a few steps on ~25
articles proves the path end to end; its numbers say nothing about quality."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import newsalign.training

DEMO_TEST_SIZE = 0.3  # ~25 articles: a larger held-out share than the default 0.1 so the table has rows
TINY_CONFIG = Path(newsalign.training.__file__).parent / "configs" / "tiny-cpu.yaml"


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


def run_demo_training(
    db, workdir, *, max_steps: int = 4, label: str = "v_signal", test_size: float = 0.1
) -> dict[str, Path]:
    """Export sft/dpo/reward/rl sets from `db`, then train tiny SFT -> DPO and reward -> RLHF models on CPU
    under `workdir`; return the model directories (base, sft, dpo, reward, rlhf) for the evaluator."""
    from newsalign.training.export import ExportOptions, export_training_set
    from newsalign.training.runner import load_tokenizer, run_training
    from newsalign.training.tiny import build_tiny_model
    from newsalign.warehouse import connect

    workdir = Path(workdir)
    exports = workdir / "exports"
    base = workdir / "tiny-model"
    con = connect(db, must_exist=True)
    try:
        if not (base / "config.json").exists():
            corpus = (row[0] for row in con.execute("SELECT title || ' ' || text FROM v_articles_clean").fetchall())
            build_tiny_model(base, corpus)
        tokenizer = load_tokenizer(str(base))  # once, for the four exports
        for kind in ("sft", "dpo", "reward", "rl"):
            options = ExportOptions(
                kind=kind,
                out=exports / kind,
                tokenizer=str(base),
                label=label,
                max_article_tokens=128,
                balance="downsample",
                test_size=test_size,
            )
            export_training_set(con, options, tokenizer)
    finally:
        con.close()

    def train(name: str, model: Path, dataset: str, **extra) -> Path:
        overrides = {
            "model_name_or_path": model,
            "dataset_dir": exports / dataset,
            "output_dir": workdir / name,
            "max_steps": max_steps,
            **extra,
        }
        args = [item for key, value in overrides.items() for item in (f"--{key}", str(value))]
        return run_training(name, str(TINY_CONFIG), args)

    sft = train("sft", base, "sft")
    dpo = train("dpo", sft, "dpo")
    reward = train("reward", base, "reward")
    rlhf = train("rlhf", sft, "rl", reward_model_path=reward)
    return {"base": base, "sft": sft, "dpo": dpo, "reward": reward, "rlhf": rlhf}
