"""Parse a trainer's typed configs TrlParser-style: script args + TRL config + ModelConfig, from YAML + overrides.

A config file is one YAML mapping. Keys shared by every trainer sit at the top level; a section named
after a trainer (`sft:`, `dpo:`, `reward:`, `rlhf:`, `kto:`) overrides them for that trainer only, so one
file (e.g. `tiny-cpu.yaml`) can describe a whole SFT -> DPO / reward -> RLHF run. Command-line
`--key value` pairs override the file. An unknown key, in the file or on the command line, is an error
that names the closest known key. An `env:` mapping sets environment variables for the training run
only (see `training.runner.run_environment`); nothing here writes `os.environ`.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from newsalign.core.errors import NewsalignError

TRAINERS = ("sft", "dpo", "reward", "rlhf", "kto")


@dataclass
class ScriptArguments:
    """What every trainer needs beyond the TRL config: the exported data and the tiny-model cache."""

    dataset_dir: str = field(default="exports/dpo", metadata={"help": "Directory written by `newsalign export`."})
    tiny_model_dir: str = field(
        default="outputs/tiny-model", metadata={"help": "Where `model_name_or_path: tiny` builds its random model."}
    )
    resume: bool = field(default=False, metadata={"help": "Resume from the newest checkpoint in output_dir."})


@dataclass
class RLHFArguments(ScriptArguments):
    """Online RL: which reward, and the adaptive KL controller."""

    reward: str = field(
        default="model",
        metadata={"help": "model (a trained reward model) or verifiable.", "choices": ["model", "verifiable"]},
    )
    reward_model_path: str | None = field(default=None, metadata={"help": "Output of `newsalign train reward`."})
    kl_target: float | None = field(
        default=0.1, metadata={"help": "d_targ of the adaptive KL controller; null keeps beta fixed."}
    )


def read_yaml_mapping(path: Path, what: str) -> dict:
    """The mapping in the YAML file `path`; a missing file, bad YAML or no mapping is one line naming `what`."""
    if not path.is_file():
        raise NewsalignError(f"{what} {path} not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise NewsalignError(f"{what} {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise NewsalignError(f"{what} {path} must contain a YAML mapping")
    return data


def read_config(path: str | os.PathLike, trainer: str) -> dict:
    """The merged mapping for `trainer`: top-level keys, then its section; other trainers' sections dropped."""
    data = read_yaml_mapping(Path(path), "config file")
    merged = {k: v for k, v in data.items() if k not in TRAINERS}
    section = data.get(trainer) or {}
    if not isinstance(section, dict):
        raise NewsalignError(f"section {trainer!r} of {path} must be a mapping")
    merged.update(section)
    return merged


def parse_config(trainer: str, dataclass_types: tuple, config: str | None, overrides: list[str]) -> tuple[tuple, dict]:
    """(instances of `dataclass_types`, the config's `env:` mapping) from the file for `trainer` and `--key value`
    overrides, parsed by TRL's own `TrlParser`. Abbreviated options are off, so a typo such as
    `--learning_rat` is an error naming the closest key instead of a silent prefix match."""
    from trl import TrlParser

    values = read_config(config, trainer) if config else {}
    env = values.pop("env", None) or {}
    if not isinstance(env, dict):
        raise NewsalignError(f"`env` in {config} must be a mapping of environment variables")
    keys = [f.name for cls in dataclass_types for f in fields(cls)]
    unknown = [key for key in values if key not in keys]
    if unknown:
        raise NewsalignError(
            f"unknown config key(s) for `train {trainer}` in {config}: {', '.join(map(_with_hint(keys), unknown))}"
        )
    check_quantization(_model_args(values, overrides))  # before TrainingArguments rejects bf16 without a GPU
    parser = TrlParser(dataclass_types, allow_abbrev=False)
    parser.set_defaults_with_config(**values)
    try:
        *parsed, remaining = parser.parse_args_into_dataclasses(args=overrides, return_remaining_strings=True)
    except SystemExit:  # argparse already printed why (a bad value or a missing argument)
        raise NewsalignError(f"invalid arguments for `train {trainer}`: {' '.join(overrides)}") from None
    except ValueError as exc:  # a TRL/transformers __post_init__ check
        raise NewsalignError(f"invalid config for `train {trainer}`: {exc}") from None
    if remaining:
        options = [_with_hint(keys, "--")(item[2:]) if item.startswith("--") else item for item in remaining]
        raise NewsalignError(f"unknown option(s) for `train {trainer}`: {' '.join(options)}")
    return tuple(parsed), env


def _with_hint(keys: list[str], prefix: str = ""):
    """A function naming an unknown key with the closest known one: `--learning_rat (did you mean --learning_rate?)`."""

    def hint(key: str) -> str:
        close = difflib.get_close_matches(key.split("=")[0], keys, n=1)
        return f"{prefix}{key}" + (f" (did you mean {prefix}{close[0]}?)" if close else "")

    return hint


def _model_args(values: dict, overrides: list[str]):
    """The ModelConfig alone (cheap, no TrainingArguments checks) from the same file values and overrides."""
    from trl import ModelConfig, TrlParser

    parser = TrlParser((ModelConfig,), allow_abbrev=False)
    names = {f.name for f in fields(ModelConfig)}
    parser.set_defaults_with_config(**{k: v for k, v in values.items() if k in names})
    model_args, _ = parser.parse_args_into_dataclasses(args=overrides, return_remaining_strings=True)
    return model_args


def check_quantization(model_args) -> None:
    """4-/8-bit loading (QLoRA) needs a CUDA GPU and bitsandbytes: say so instead of failing deep in a load."""
    if not (model_args.load_in_4bit or model_args.load_in_8bit):
        return
    import torch

    if not torch.cuda.is_available():
        raise NewsalignError(
            "load_in_4bit/load_in_8bit (QLoRA) needs a CUDA GPU, and none is available: use a GPU machine, "
            "or a config without quantization (e.g. training/configs/tiny-cpu.yaml)"
        )
    try:
        import bitsandbytes  # noqa: F401  # pyright: ignore[reportMissingImports]  (the gpu extra)
    except ImportError:
        raise NewsalignError("4-/8-bit loading needs bitsandbytes: pip install 'newsalign[gpu]'") from None
