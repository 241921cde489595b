"""What every trainer shares: config parsing, model resolution, W&B, data loading, train + save.

`run_training("dpo", config, overrides)` imports `training.dpo`, which only says which TRL config and
columns it uses and how to build its TRL trainer; everything else happens here, once.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from newsalign.core.errors import NewsalignError
from newsalign.core.files import make_dir, parse_json, read_text
from newsalign.training.callbacks import NanLossCallback
from newsalign.training.config import TRAINERS, parse_config

TINY = "tiny"
RUN_FACTS = "newsalign_run.json"
ANSWER_COLUMNS = ("completion", "chosen", "rejected", "answer")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def run_training(name: str, config: str | None, overrides: list[str] = ()) -> Path:
    """Train with `training.<name>` as configured; return the output directory holding the final model."""
    if name not in TRAINERS:
        raise NewsalignError(f"unknown trainer {name!r}; expected one of {', '.join(TRAINERS)}")
    module = importlib.import_module(f"newsalign.training.{name}")
    (script_args, training_args, model_args), env = check_training(name, config, overrides)
    with run_environment(env, training_args):
        return _run(module, script_args, training_args, model_args)


def check_training(name: str, config: str | None, overrides: list[str] = ()) -> tuple[tuple, dict]:
    """The parsed, checked configs of `training.<name>` (see `parse_config`), nothing run: a bad value is
    refused here, before a model or a dataset is loaded."""
    from trl import ModelConfig

    module = importlib.import_module(f"newsalign.training.{name}")
    return parse_config(name, (module.SCRIPT_ARGS, module.config_class(), ModelConfig), config, list(overrides))


def _run(module, script_args, training_args, model_args) -> Path:
    train, validation = load_splits(script_args.dataset_dir, module.COLUMNS)
    resolve_model(script_args, model_args, corpus=train["prompt"])
    make_dir(training_args.output_dir, "output_dir")  # /proc, a file in the way: one line, before any training
    training_args.model_init_kwargs = {
        **(training_args.model_init_kwargs or {}),
        "revision": model_args.model_revision,
        "dtype": model_args.dtype,
        **({"attn_implementation": model_args.attn_implementation} if model_args.attn_implementation else {}),
    }
    tokenizer = load_tokenizer(model_args.model_name_or_path)
    max_length = getattr(training_args, "max_length", None)
    if max_length is not None:
        answers = [c for c in module.COLUMNS if c in ANSWER_COLUMNS]
        train, validation = (fit_prompts(d, tokenizer, max_length, answers) for d in (train, validation))
    eval_dataset = validation if training_args.eval_strategy != "no" else None
    trainer = module.build_trainer(script_args, training_args, model_args, train, eval_dataset, tokenizer)
    output_dir = train_and_save(trainer, script_args, training_args, getattr(module, "after_training", None))
    if trainer.accelerator.is_main_process:
        eval_rows = len(eval_dataset) if eval_dataset is not None else None
        write_run_facts(output_dir, training_args, eval_rows, load_in_4bit=model_args.load_in_4bit)
    return output_dir


def write_run_facts(output_dir: Path, training_args, eval_rows: int | None, *, load_in_4bit: bool = False) -> None:
    """RUN_FACTS beside the model: what `newsalign evaluate` needs from this run (max_length, pair counts,
    whether the base was loaded in 4-bit)."""
    per_log = None
    if training_args.logging_steps >= 1:  # a float below 1 is a share of all steps
        per_log = int(
            training_args.logging_steps
            * training_args.per_device_train_batch_size
            * training_args.gradient_accumulation_steps
            * training_args.world_size
        )
    facts = {
        "max_length": getattr(training_args, "max_length", None),
        "eval_rows": eval_rows,
        "train_rows_per_log": per_log,
        "load_in_4bit": bool(load_in_4bit),
    }
    (Path(output_dir) / RUN_FACTS).write_text(json.dumps(facts, indent=2) + "\n")


@contextmanager
def run_environment(env: dict, training_args):
    """Environment variables for one training run, restored afterwards: the config's `env:` mapping, and
    W&B offline (under output_dir) when there is no API key, so a missing key never crashes a run."""
    values = {key: str(value) for key, value in env.items()}
    if "wandb" in (training_args.report_to or []):
        defaults = {"WANDB_DIR": training_args.output_dir}
        if not (values.get("WANDB_API_KEY") or os.environ.get("WANDB_API_KEY")):
            defaults["WANDB_MODE"] = "offline"
        values = {**{k: v for k, v in defaults.items() if k not in os.environ}, **values}
        Path(training_args.output_dir).mkdir(parents=True, exist_ok=True)
    with patch.dict(os.environ, values):
        yield


def resolve_model(script_args, model_args, corpus) -> None:
    """`tiny` becomes a random tiny model (built once); other paths must exist locally or on the Hub."""
    path = model_args.model_name_or_path
    if not path:
        raise NewsalignError("no model: set model_name_or_path in the config or pass --model_name_or_path")
    if path == TINY:
        from accelerate import PartialState

        from newsalign.training.tiny import build_tiny_model

        out = Path(script_args.tiny_model_dir)
        with PartialState().main_process_first():
            if not (out / "config.json").exists():
                build_tiny_model(out, corpus)
        model_args.model_name_or_path = str(out)
        return
    if Path(path).expanduser().exists():
        return
    if not _HUB_ID.match(path) or Path(path.split("/")[0]).is_dir():
        raise NewsalignError(f"model path {path} does not exist")
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(path, revision=model_args.model_revision)
    except OSError as exc:
        raise NewsalignError(
            f"model {path} is not a local directory and could not be fetched from the Hub: {str(exc).splitlines()[0]}"
        ) from None


def load_splits(dataset_dir: str, columns: list[str]):
    """`train` and `validation` of an export directory (parquet or jsonl), keeping only the trainer's columns.

    The trainers evaluate on validation; the test split is left to `newsalign evaluate`. Loaded through
    `datasets` (not pandas) so a re-run reuses the cached tokenization.
    """
    from datasets import Dataset

    directory = Path(dataset_dir)
    splits = []
    for name in ("train", "validation"):
        files = [directory / f"{name}.{ext}" for ext in ("parquet", "jsonl") if (directory / f"{name}.{ext}").exists()]
        if not files:
            raise NewsalignError(
                f"no {name}.parquet or {name}.jsonl in {directory}: run `newsalign export` first "
                "(exports made before the validation split need re-exporting)"
            )
        if _row_count(files[0]) == 0:
            raise NewsalignError(f"{directory} has an empty {'training' if name == 'train' else name} split")
        load = Dataset.from_parquet if files[0].suffix == ".parquet" else Dataset.from_json
        dataset = load(str(files[0]))
        missing = sorted(set(columns) - set(dataset.column_names))
        if missing:
            raise NewsalignError(f"{files[0]} lacks column(s) {', '.join(missing)}: export it with the matching kind")
        splits.append(dataset.select_columns(columns))
    return splits


def fit_prompts(dataset, tokenizer, max_length: int, answer_columns: list[str]):
    """Cut the start of every prompt whose tokens, with its longest answer and an EOS, exceed `max_length`.

    TRL keeps the start of an over-long sequence, so the answer would be cut off and the row dropped as
    fully masked (SFT) or trained on nothing. `training.scoring.encode` cuts the start the same way at
    evaluation: the question at the prompt's end matters more than the article's first sentences.
    """
    answers = {a for column in answer_columns for a in dataset[column] if isinstance(a, str)}
    reserve = max((len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers), default=0) + 1
    keep = max_length - reserve
    if keep < 1:
        raise NewsalignError(f"max_length {max_length} leaves no room for a prompt beside the answers")

    def fit(row):
        prompt = row["prompt"]
        for _ in range(4):  # decoding a token slice and re-encoding it can differ by a token or two
            ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            special = len(tokenizer(prompt)["input_ids"]) - len(ids)
            if len(ids) + special <= keep:
                break
            prompt = tokenizer.decode(ids[len(ids) + special - keep + 1 :])
        return {"prompt": prompt}

    return dataset.map(fit, desc=f"Fitting prompts to max_length {max_length}")


def _row_count(path: Path) -> int:
    """The rows of an export file, read enough to know `datasets` can load it: one line naming it if not."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise NewsalignError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0][:200]})") from None
    rows = 0
    for number, line in enumerate(read_text(path, "export file").splitlines(), 1):
        if line.strip():
            parse_json(line, f"{path} line {number}")
            rows += 1
    return rows


def load_tokenizer(path: str):
    from newsalign.training.adapters import read_tokenizer

    tokenizer = read_tokenizer(path, "model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def keep_trainable_fp32(model) -> None:
    """TRL casts QLoRA adapters to bf16; fp16 mixed precision (a T4 has no bf16) needs fp32 master weights."""
    import torch

    for param in model.parameters():
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()


def train_and_save(trainer, script_args, training_args, after_training=None) -> Path:
    """Train (resuming when asked), stop cleanly on a NaN loss, save the model (and, by Trainer, the tokenizer)."""
    from transformers.trainer_utils import get_last_checkpoint

    output_dir = Path(training_args.output_dir)
    resume = training_args.resume_from_checkpoint
    if script_args.resume:
        resume = get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None
        if resume is None:
            raise NewsalignError(f"--resume: no checkpoint-* directory in {output_dir} to resume from")
    if training_args.fp16:
        keep_trainable_fp32(trainer.model)
    trainer.args.logging_nan_inf_filter = False  # the filter logs a NaN loss as 0; the guard must see it
    nan_guard = NanLossCallback()
    trainer.add_callback(nan_guard)
    trainer.train(resume_from_checkpoint=resume)
    if nan_guard.bad_step is not None:
        last = get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None
        raise NewsalignError(
            f"loss became {nan_guard.bad_value} at step {nan_guard.bad_step}: training stopped and the model was "
            f"not saved; last good checkpoint: {last or 'none (set save_steps lower)'}"
        )
    trainer.save_model(str(output_dir))
    trainer.save_state()  # trainer_state.json beside the model: the evaluator draws training curves from it
    if after_training is not None:
        after_training(trainer, output_dir)
    return output_dir
