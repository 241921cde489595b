"""DPO samples/s: `newsalign train dpo` (training.runner) vs a bare TRL DPOTrainer script, same tiny model and data.

Both run end to end (load, tokenize, train, save) on CPU; the ratio shows what our layer (config
parsing, NaN guard, tokenizer handling) costs. Goal: ours >= 0.95x the bare script.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AG_NEWS = ROOT.parent / "shared" / "data" / "ag_news" / "test.csv"
CONFIG = ROOT / "training" / "configs" / "tiny-cpu.yaml"
STEPS, BATCH, ROWS, ROUNDS = 30, 4, 400, 3


def _data(work: Path) -> tuple[Path, Path]:
    import pandas as pd

    from newsalign.training.prompt import PromptBuilder
    from newsalign.training.tiny import build_tiny_model

    with AG_NEWS.open() as handle:
        items = [row for _, row in zip(range(ROWS), csv.DictReader(handle))]
    build = PromptBuilder(max_article_tokens=64)
    rows = [
        {
            "id": str(i),
            "prompt": build(r["title"], r["description"]),
            "chosen": " Yes" if r["label"] in {"3", "4"} else " No",
            "rejected": " No" if r["label"] in {"3", "4"} else " Yes",
        }
        for i, r in enumerate(items)
    ]
    data = work / "dpo"
    data.mkdir()
    pd.DataFrame(rows).to_parquet(data / "train.parquet")
    for split in ("validation", "test"):
        pd.DataFrame(rows[:8]).to_parquet(data / f"{split}.parquet")
    return build_tiny_model(work / "tiny", [r["prompt"] for r in rows]), data


def ours(model: Path, data: Path, out: Path) -> None:
    from newsalign.training.runner import run_training

    run_training(
        "dpo",
        str(CONFIG),
        [
            "--model_name_or_path",
            str(model),
            "--dataset_dir",
            str(data),
            "--output_dir",
            str(out),
            "--max_steps",
            str(STEPS),
            "--per_device_train_batch_size",
            str(BATCH),
            "--save_strategy",
            "no",
            "--eval_strategy",
            "no",
            "--logging_steps",
            "10",
            "--disable_tqdm",
            "true",
        ],
    )


def bare_trl(model: Path, data: Path, out: Path) -> None:
    """What a user would write with TRL alone (the shape of trl/scripts/dpo.py)."""
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    args = DPOConfig(
        output_dir=str(out),
        max_steps=STEPS,
        per_device_train_batch_size=BATCH,
        learning_rate=1e-3,
        beta=0.1,
        max_length=256,
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        logging_steps=10,
        disable_tqdm=True,
        save_strategy="no",
        report_to="none",
        seed=0,
        dataloader_num_workers=0,
    )
    train = Dataset.from_parquet(str(data / "train.parquet")).select_columns(["prompt", "chosen", "rejected"])
    trainer = DPOTrainer(
        model=str(model), args=args, train_dataset=train, processing_class=AutoTokenizer.from_pretrained(model)
    )
    trainer.train()
    trainer.save_model(str(out))


def main() -> None:
    import torch

    torch.set_num_threads(1)  # shared CPU: one thread each so the two runs compete equally
    quiet = open(os.devnull, "w")  # both sides' trainer logs and progress bars, alike
    with (
        tempfile.TemporaryDirectory() as tmp,
        quiet,
        contextlib.redirect_stdout(quiet),
        contextlib.redirect_stderr(quiet),
    ):
        work = Path(tmp)
        model, data = _data(work)
        runs = {"ours": ours, "bare TRL": bare_trl}
        for name, run in runs.items():  # warm-up: imports and first-call costs, not timed
            run(model, data, work / f"warmup-{name.replace(' ', '_')}")
        best = {name: float("inf") for name in runs}
        for round_ in range(ROUNDS):
            order = list(runs.items()) if round_ % 2 else list(runs.items())[::-1]  # alternate who goes first
            for name, run in order:
                start = time.perf_counter()
                run(model, data, work / f"{name.replace(' ', '_')}-{round_}")
                best[name] = min(best[name], time.perf_counter() - start)
    samples = STEPS * BATCH
    rates = {name: samples / seconds for name, seconds in best.items()}
    for name, rate in rates.items():
        print(f"{name:>9}: {rate:7.1f} samples/s  ({samples} samples, best of {ROUNDS} after a warm-up, end to end)")
    print(f"    ratio: {rates['ours'] / rates['bare TRL']:.2f}x (goal >= 0.95x)")


if __name__ == "__main__":
    main()
