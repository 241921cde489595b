"""The demo's training run: export from the warehouse, then tiny SFT -> DPO and reward -> RLHF on CPU.

`run_demo_training(db, workdir)` returns the model directories (base, sft, dpo, reward, rlhf) so the
evaluator can compare them. A few steps each on a random tiny model: it proves the path, not quality.
"""

from __future__ import annotations

from pathlib import Path

TINY_CONFIG = Path(__file__).parent / "configs" / "tiny-cpu.yaml"


def run_demo_training(
    db, workdir, *, max_steps: int = 4, label: str = "v_signal", test_size: float = 0.1
) -> dict[str, Path]:
    """Export sft/dpo/reward/rl sets from `db` and train the tiny models under `workdir`; return their dirs."""
    from newsalign.training.export import ExportOptions, export_training_set
    from newsalign.training.runner import load_tokenizer, run_training
    from newsalign.training.tiny import build_tiny_model
    from newsalign.warehouse import connect

    workdir = Path(workdir)
    con = connect(db, must_exist=True)
    base = workdir / "tiny-model"
    if not (base / "config.json").exists():
        corpus = (row[0] for row in con.execute("SELECT title || ' ' || text FROM v_articles_clean").fetchall())
        build_tiny_model(base, corpus)
    tokenizer_path = str(base)
    load_tokenizer(tokenizer_path)  # fail early if the tiny model directory is broken
    exports = workdir / "exports"
    for kind in ("sft", "dpo", "reward", "rl"):
        options = ExportOptions(
            kind=kind,
            out=exports / kind,
            tokenizer=tokenizer_path,
            label=label,
            max_article_tokens=128,
            balance="downsample",
            test_size=test_size,
        )
        export_training_set(con, options)
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
