"""`newsalign experiment`: the whole comparison from one YAML file, resumable run by run.

A grid is (split, seed, method). Per split the warehouse is exported once (every kind a method needs,
the same articles in train/validation/test for every kind and seed), so every model and seed of a split
is scored on the same test articles. Per seed each trainer runs through `training.runner.run_training`
from its start model (base, or SFT for SFT->DPO and GRPO), then `training.evaluate.evaluate_models`
scores the cell's models and baselines, each threshold chosen on validation. A finished training run
leaves `run.json` in its folder and a finished evaluation `evaluated.json`; a rerun skips both. A run
folder without its marker (a killed run) resumes from its last `checkpoint-N` (transformers'
`resume_from_checkpoint`; save checkpoints with `save_strategy: steps`), or starts over when it has none.
`training.experiment_report`
turns the cells into one report.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsalign.core.errors import NewsalignError
from newsalign.core.files import make_dir, read_json
from newsalign.training.config import allowed, read_yaml_mapping

# name -> (trainer, export kind, start model, extra trainer options)
METHODS = {
    "sft": ("sft", "sft", "base", {}),
    "dpo": ("dpo", "dpo", "base", {}),
    "sft_dpo": ("dpo", "dpo", "sft", {}),
    "kto": ("kto", "kto", "base", {}),
    "reward": ("reward", "reward", "base", {}),
    "grpo": ("rlhf", "rl", "sft", {"reward": "model"}),
    "grpo_verifiable": ("rlhf", "rl", "sft", {"reward": "verifiable"}),
}
NEEDS = {"grpo": ("reward",)}  # trained first, even when not compared
BASELINES = ("majority", "tfidf_logreg")
ALL_METHODS = ("base", *METHODS, *BASELINES)
EVAL_KIND = "sft"  # the export every cell is scored on (all kinds hold the same articles per split)
RUN_MARKER, EVAL_MARKER = "run.json", "evaluated.json"
CONFIG_DIRS = (Path.cwd(), Path(__file__).parent / "configs")


@dataclass
class Experiment:
    """An experiment YAML file, checked. See experiments/ag-news-cpu.yaml for every key."""

    path: Path
    train_config: Path
    model: str = "tiny"
    tiny: dict = field(default_factory=dict)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    splits: list[str] = field(default_factory=lambda: ["random", "time"])
    methods: list[str] = field(default_factory=lambda: list(ALL_METHODS))
    data: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    evaluate: dict = field(default_factory=dict)
    torch_threads: int | None = None

    @property
    def trained(self) -> list[str]:
        """Methods to train, dependencies first (SFT before SFT->DPO and GRPO, the reward model before GRPO)."""
        wanted = {m for m in self.methods if m in METHODS}
        for method in list(wanted):
            wanted |= set(NEEDS.get(method, ())) | ({"sft"} if METHODS[method][2] == "sft" else set())
        return [m for m in METHODS if m in wanted]

    @property
    def kinds(self) -> list[str]:
        return sorted({EVAL_KIND, *(METHODS[m][1] for m in self.trained)})


_Count = Annotated[int, Field(ge=1)]
_Share = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
_Method = Literal[ALL_METHODS]  # pyright: ignore[reportInvalidTypeForm]
_Forbid = ConfigDict(extra="forbid")


class _Tiny(BaseModel):
    model_config = _Forbid
    vocab_size: _Count = 512
    hidden_size: _Count = 64
    layers: _Count = 2


class _Data(BaseModel):
    """`data:`: the export's options (training.export.ExportOptions) and `label_sql`, run before the export."""

    model_config = _Forbid
    label: str = "v_signal"
    label_sql: str | None = None
    test_size: _Share = 0.1
    validation_size: _Share = 0.1
    seed: Annotated[int, Field(ge=0)] = 42
    balance: Literal["none", "downsample", "weights"] = "none"
    max_article_tokens: _Count = 512
    tokenizer: str | None = None
    format: Literal["parquet", "jsonl"] = "parquet"
    answers: tuple[str, str] | None = None
    prompt_version: str | None = None
    test_from: Literal["gold"] | None = None


class _Evaluate(BaseModel):
    """`evaluate:`: keyword arguments of training.evaluate.evaluate_models."""

    model_config = _Forbid
    bootstrap: Annotated[int, Field(ge=0)] = 1000
    batch_size: _Count = 16
    max_length: Annotated[int, Field(ge=8)] | None = None
    calibrate: Literal["platt", "none"] | None = "platt"
    threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    device: str | None = None
    split: str = "test"


class _ExperimentFile(BaseModel):
    """The experiment YAML as written: every key typed, unknown keys refused."""

    model_config = _Forbid
    train_config: str
    model: str = "tiny"
    tiny: _Tiny = _Tiny()
    seeds: Annotated[list[Annotated[int, Field(ge=0, lt=2**32)]], Field(min_length=1)] = [0, 1, 2]
    splits: Annotated[list[Literal["random", "time"]], Field(min_length=1)] = ["random", "time"]
    methods: list[_Method] | dict[_Method, bool] = list(ALL_METHODS)
    data: _Data = _Data()
    train: dict[Literal[("all", *METHODS)], dict[str, Any]] = {}  # pyright: ignore[reportInvalidTypeForm]
    evaluate: _Evaluate = _Evaluate()
    torch_threads: _Count | None = None


def load_experiment(path) -> Experiment:
    """Read and check an experiment YAML: a wrong key or value is one line naming it and what is allowed."""
    path = Path(path)
    values = read_yaml_mapping(path, "experiment file")
    if "seeds" in values and values["seeds"] is None:  # `seeds:` left empty: the default seeds
        del values["seeds"]
    try:
        checked = _ExperimentFile.model_validate(values)
    except ValidationError as exc:
        raise NewsalignError(_refusal(path, exc)) from None
    train_config = _find_config(path, checked.train_config)
    read_yaml_mapping(train_config, "train_config")  # text, YAML and a mapping, before the grid starts
    methods = checked.methods
    if isinstance(methods, dict):  # {name: true/false}
        methods = [name for name, on in methods.items() if on]
    return Experiment(
        path=path,
        train_config=train_config,
        model=checked.model,
        tiny=checked.tiny.model_dump(exclude_unset=True),
        seeds=checked.seeds,
        splits=list(checked.splits),
        methods=list(methods),
        data=checked.data.model_dump(exclude_unset=True),
        train=checked.train,
        evaluate=checked.evaluate.model_dump(exclude_unset=True),
        torch_threads=checked.torch_threads,
    )


def _refusal(path: Path, exc: ValidationError) -> str:
    """pydantic's first complaint as one line: `exp.yaml: seeds[0] must be a whole number >= 0, got 'zero'`."""
    errors = exc.errors()
    first = _where(errors[0]["loc"])
    if errors[0]["type"] == "extra_forbidden":
        known = f" (known: {', '.join(_ExperimentFile.model_fields)})" if "." not in first else ""
        return f"{path}: unknown key {first}{known}"
    if errors[0]["type"] == "missing":
        return f"{path}: {first} is missing" + (
            ": a trainer config such as training/configs/tiny-cpu.yaml" if first == "train_config" else ""
        )
    same = [error for error in errors if _where(error["loc"]) == first]  # each branch of a union (list or mapping)
    return f"{path}: {first} must be {allowed(same)}, got {errors[0]['input']!r}"


def _where(loc: tuple) -> str:
    """A pydantic location as a YAML reader says it (`seeds[1]`, `tiny.layers`), the union branches left out."""
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f"[{part}]"
        elif not (part == "[key]" or part.startswith(("list[", "dict[", "tuple["))):
            where += f".{part}" if where else part
    return where


def _find_config(experiment: Path, name: str) -> Path:
    """A trainer config path as written, else beside the experiment file, else by file name in training/configs."""
    for candidate in (Path(name), experiment.parent / name, *(d / Path(name).name for d in CONFIG_DIRS)):
        if candidate.is_file():
            return candidate.resolve()
    raise NewsalignError(f"train_config {name} not found (looked beside {experiment} and in training/configs)")


def trainer_args(exp: Experiment, method: str, **options) -> list[str]:
    """`--key value` overrides for one run: the experiment's `train.all`, then `train.<method>`, then `options`."""
    values = {**(exp.train.get("all") or {}), **(exp.train.get(method) or {}), **options}
    return [item for key, value in values.items() for item in (f"--{key}", _arg(value))]


def _arg(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class Grid:
    """Runs an experiment into `out`: exports, trainings, evaluations; `echo` gets one progress line per step."""

    def __init__(self, exp: Experiment, out, *, echo=print) -> None:
        self.exp, self.out, self.echo = exp, Path(out), echo
        self.step, self.total = 0, 0
        self.notes: list[str] = []

    def run(self, *, db=None, data=None) -> list[dict]:
        """Every cell of the grid; returns [{split, seed, dir}] of the evaluated cells."""
        self.check()
        if self.exp.torch_threads:
            import torch

            torch.set_num_threads(self.exp.torch_threads)
        make_dir(self.out, "--out")
        splits = self._exports(db) if data is None else self._given_exports(Path(data))
        self.total = len(splits) * len(self.exp.seeds) * (len(self.exp.trained) + 1)
        cells = []
        for split, exports in splits.items():
            for seed in self.exp.seeds:
                cells.append(self._cell(split, seed, exports))
        (self.out / "notes.json").write_text(json.dumps(self.notes, indent=2) + "\n")
        return cells

    def check(self) -> None:
        """Every trainer's config and `train:` values parsed and checked before anything is exported or trained."""
        from newsalign.training.runner import check_training

        for method in self.exp.trained:
            trainer, *_, extra = METHODS[method]
            check_training(trainer, str(self.exp.train_config), trainer_args(self.exp, method, **extra))

    def _progress(self, what: str, started: float | None = None, skipped: bool = False) -> None:
        self.step += 1
        tail = "done before, skipped" if skipped else f"{time.perf_counter() - started:.1f} s"
        self.echo(f"[{self.step}/{self.total}] {what}: {tail}")

    def _exports(self, db) -> dict[str, Path]:
        """Export every kind per split from the warehouse (skipping the time split when no article has a date)."""
        from newsalign.training.export import ExportOptions, export_training_set, load_labelled
        from newsalign.warehouse import connect

        con = connect(db, read_only=True)
        try:
            if self.exp.data.get("label_sql"):
                con.execute(self.exp.data["label_sql"])
            label = self.exp.data.get("label", "v_signal")
            dated = int(load_labelled(con, label)["date_published"].notna().sum())
            tokenizer = None if self.exp.model == "tiny" else _load_tokenizer(self.exp.model)
            splits = {}
            for split in self.exp.splits:
                if split == "time" and dated == 0:
                    self.notes.append("No time split: these articles have no dates (date_published).")
                    continue
                for kind in self.exp.kinds:
                    target = self.out / "exports" / split / kind
                    if (target / "card.json").exists():
                        continue
                    options = {k: v for k, v in self.exp.data.items() if k not in ("label_sql",)}
                    opts = ExportOptions(kind=kind, out=target, split=split, **options)
                    export_training_set(con, opts, tokenizer)
                splits[split] = self.out / "exports" / split
        finally:
            con.close()
        return splits

    def _given_exports(self, data: Path) -> dict[str, Path]:
        """`--data DIR`: DIR/<kind>/ as written by `newsalign export <kind>` (one split, the one they were made with)."""
        missing = [kind for kind in self.exp.kinds if not (data / kind / "card.json").exists()]
        if missing:
            raise NewsalignError(f"--data {data} lacks {', '.join(f'{k}/' for k in missing)} (newsalign export KIND)")
        options = read_json(data / EVAL_KIND / "card.json", "dataset card").get("options")
        split = options.get("split", "random") if isinstance(options, dict) else "random"
        return {split: data}

    def _base(self, exports: Path, seed: int, cell: Path) -> Path:
        """The start model: a tiny random model per seed, its tokenizer trained on the training prompts; or the given one."""
        if self.exp.model != "tiny":
            return _local_model(self.exp.model)
        target = cell / "base"
        if not (target / "config.json").exists():
            import pandas as pd

            from newsalign.training.tiny import build_tiny_model

            prompts = pd.read_parquet(exports / EVAL_KIND / "train.parquet")["prompt"].tolist()
            build_tiny_model(target, prompts, seed=seed, **self.exp.tiny)
        return target

    def _cell(self, split: str, seed: int, exports: Path) -> dict:
        from transformers.trainer_utils import get_last_checkpoint

        from newsalign.training.runner import run_training

        cell = self.out / "runs" / split / f"seed{seed}"
        cell.mkdir(parents=True, exist_ok=True)
        models = {"base": self._base(exports, seed, cell)}
        for method in self.exp.trained:
            trainer, kind, start, extra = METHODS[method]
            run_dir = cell / method
            models[method] = run_dir
            what = f"{split} seed {seed} {method}"
            if (run_dir / RUN_MARKER).exists():
                self._progress(what, skipped=True)
                continue
            checkpoint = get_last_checkpoint(str(run_dir)) if run_dir.is_dir() else None
            if checkpoint:  # a killed run resumes from its last checkpoint
                extra = {**extra, "resume": True}
                what += f" (resumed from {Path(checkpoint).name})"
            else:  # a run killed before its first checkpoint starts over
                shutil.rmtree(run_dir, ignore_errors=True)
                run_dir.mkdir(parents=True)
            if method in ("grpo",):
                extra = {**extra, "reward_model_path": models["reward"]}
            args = trainer_args(
                self.exp,
                method,
                model_name_or_path=models[start],
                dataset_dir=exports / kind,
                output_dir=run_dir,
                seed=seed,
                disable_tqdm=True,
                **extra,
            )
            started, cpu = time.perf_counter(), time.process_time()
            with _quiet(run_dir / "train.log"):
                run_training(trainer, str(self.exp.train_config), args)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            marker = {"method": method, "args": args, "seconds": seconds, "cpu_seconds": cpu_seconds}
            (run_dir / RUN_MARKER).write_text(json.dumps(marker) + "\n")
            self._progress(what, started)
        self._evaluate(cell, split, seed, exports, models)
        return {"split": split, "seed": seed, "dir": str(cell)}

    def _evaluate(self, cell: Path, split: str, seed: int, exports: Path, models: dict) -> None:
        from newsalign.training.evaluate import evaluate_models

        what = f"{split} seed {seed} evaluation"
        if (cell / EVAL_MARKER).exists():
            self._progress(what, skipped=True)
            return
        compared = {name: path for name, path in models.items() if name in self.exp.methods}
        started = time.perf_counter()
        settings = {"bootstrap": 1000, "batch_size": 16, **self.exp.evaluate}
        with _quiet(cell / "evaluate.log"):
            evaluate_models(compared, exports / EVAL_KIND, cell / "eval", seed=seed, **settings)
        baselines = [b for b in BASELINES if b in self.exp.methods]
        (cell / EVAL_MARKER).write_text(json.dumps({"baselines": baselines}) + "\n")
        self._progress(what, started)


@contextlib.contextmanager
def _quiet(log: Path):
    """Trainer and library chatter to `log`; the grid's progress lines stay on the terminal."""
    with log.open("a") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def _load_tokenizer(model: str):
    from newsalign.training.runner import load_tokenizer

    return load_tokenizer(_local_model(model))


def _local_model(model: str) -> str:
    """A local model folder as is; a Hub id downloaded once into the Hub cache (training would fetch it anyway)."""
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(model, allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt"])
    except Exception as exc:  # noqa: BLE001 - any hub failure is one line for the user
        raise NewsalignError(f"model {model} is not a local folder and could not be downloaded: {exc}") from None
