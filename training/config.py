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
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

from newsalign.core.errors import NewsalignError
from newsalign.core.files import read_yaml

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
    """The mapping in the YAML file `path`; missing, not UTF-8 text, bad YAML or no mapping is one line naming it."""
    return read_yaml(path, what)


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
    values = read_config(config, trainer) if config else {}
    env = values.pop("env", None) or {}
    try:
        _ENV.validate_python(env)
    except ValidationError as exc:
        where = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        raise NewsalignError(
            f"`env` in {config} must map variable names (no '=' or NUL) to text or numbers"
            f"{' (' + where + ')' if where else ''}, got {exc.errors()[0]['input']!r}"[:400]
        ) from None
    keys = [f.name for cls in dataclass_types for f in fields(cls)]
    unknown = [key for key in values if key not in keys]
    if unknown:
        raise NewsalignError(
            f"unknown config key(s) for `train {trainer}` in {config}: {', '.join(map(_with_hint(keys), unknown))}"
        )
    check_values(dataclass_types, values, f"config file {config}")
    check_quantization(_model_args(values, overrides, trainer))  # before TrainingArguments rejects bf16 without a GPU
    parser = _parser(dataclass_types, trainer)
    parser.set_defaults_with_config(**values)
    try:
        *parsed, remaining = parser.parse_args_into_dataclasses(args=overrides, return_remaining_strings=True)
    except ValueError as exc:  # a TRL/transformers __post_init__ check
        raise NewsalignError(f"invalid config for `train {trainer}`: {exc}") from None
    if remaining:
        options = [_with_hint(keys, "--")(item[2:]) if item.startswith("--") else item for item in remaining]
        raise NewsalignError(f"unknown option(s) for `train {trainer}`: {' '.join(options)}")
    for instance in parsed:  # the file's values and the overrides, as the trainer will see them
        check_ranges(vars(instance), f"train {trainer}")
    return tuple(parsed), env


_TEXT = Annotated[str, Field(pattern=r"^[^\x00]*$")]
_ENV = TypeAdapter(dict[Annotated[str, Field(pattern=r"^[^=\x00]+$")], _TEXT | int | float | bool])


def _parser(dataclass_types: tuple, trainer: str):
    """TRL's parser, whose argparse errors (`argument --max_steps: invalid int value: '2.5'`) are one line
    instead of the usage text and an exit."""
    from trl import TrlParser

    parser = TrlParser(dataclass_types, allow_abbrev=False)

    def error(message: str):
        raise NewsalignError(f"invalid arguments for `train {trainer}`: {message}")

    parser.error = error  # pyright: ignore[reportAttributeAccessIssue]
    return parser


# What a value may be, beyond its type (None, where a field allows it, always passes): checked on the file's
# values and again on the parsed ones (the overrides).
_FINITE = {"allow_inf_nan": False}
_POSITIVE = TypeAdapter(Annotated[float, Field(gt=0, **_FINITE)])
_AT_LEAST_0 = TypeAdapter(Annotated[float, Field(ge=0, **_FINITE)])
_SHARE = TypeAdapter(Annotated[float, Field(ge=0, le=1, **_FINITE)])
_COUNT = TypeAdapter(Annotated[int, Field(ge=1)])
_WHOLE_AT_LEAST_0 = TypeAdapter(Annotated[int, Field(ge=0)])
RANGES: dict[str, TypeAdapter] = {
    "learning_rate": _POSITIVE,
    "num_train_epochs": _POSITIVE,
    "max_steps": TypeAdapter(Annotated[int, Field(ge=-1)]),  # -1: train for num_train_epochs
    "per_device_train_batch_size": _COUNT,
    "per_device_eval_batch_size": _COUNT,
    "gradient_accumulation_steps": _COUNT,
    "logging_steps": _POSITIVE,
    "eval_steps": _POSITIVE,
    "save_steps": _POSITIVE,
    "save_total_limit": _WHOLE_AT_LEAST_0,
    "warmup_ratio": _SHARE,
    "weight_decay": _AT_LEAST_0,
    "max_grad_norm": _AT_LEAST_0,
    "seed": TypeAdapter(Annotated[int, Field(ge=0, lt=2**32)]),
    "dataloader_num_workers": _WHOLE_AT_LEAST_0,
    "max_length": _COUNT,
    "max_prompt_length": _COUNT,
    "max_completion_length": _COUNT,
    "num_generations": _COUNT,
    "beta": _AT_LEAST_0,
    "temperature": _POSITIVE,
    "kl_target": _POSITIVE,
    "lora_r": _COUNT,
    "lora_alpha": _COUNT,
    "lora_dropout": _SHARE,
}


def check_values(dataclass_types: tuple, values: dict, where: str) -> None:
    """Each of `values` (a config file's) checked against the type of its field in `dataclass_types`, its
    `choices` and `RANGES`, before TRL or torch sees it: one line naming the key, the value and what is allowed."""
    import typing

    owners = {f.name: (cls, f) for cls in reversed(dataclass_types) for f in fields(cls)}
    for key, value in values.items():
        cls, found = owners[key]
        choices = found.metadata.get("choices")
        if choices and value not in choices:
            raise NewsalignError(f"{where}: {key} must be one of {', '.join(map(str, choices))}, got {value!r}")
        try:
            TypeAdapter(typing.get_type_hints(cls)[key]).validate_python(value)
        except ValidationError as exc:
            raise NewsalignError(f"{where}: {key} must be {allowed(exc)}, got {value!r}") from None
    check_ranges(values, where)


def check_ranges(values: dict, where: str) -> None:
    """The values named in `RANGES` within their range: one line naming the key, the value and the range."""
    for key, value in values.items():
        if key in RANGES and value is not None:
            try:
                RANGES[key].validate_python(value)
            except ValidationError as exc:
                raise NewsalignError(f"{where}: {key} must be {allowed(exc)}, got {value!r}") from None


_PHRASES = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "bool_type": "true or false", "bool_parsing": "true or false", "string_type": "text",
    "dict_type": "a mapping (key: value)", "list_type": "a list", "none_required": "empty (null)",
}  # fmt: skip
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def allowed(exc: ValidationError | list) -> str:
    """What pydantic's complaints (about one value) say is allowed, in words: `a whole number >= 1`, `true or false`."""
    errors = exc.errors() if isinstance(exc, ValidationError) else exc
    kinds = {error["type"] for error in errors}
    bounds = [
        f"{_BOUNDS[e['type']]} {next(iter((e.get('ctx') or {}).values()), '')}" for e in errors if e["type"] in _BOUNDS
    ]
    if bounds:
        return f"a number {' and '.join(bounds)}"
    if "literal_error" in kinds:
        error = next(e for e in errors if e["type"] == "literal_error")
        return f"one of {(error.get('ctx') or {}).get('expected', '')}"
    phrases = list(dict.fromkeys(_PHRASES.get(e["type"], e["msg"].removeprefix("Input should be ")) for e in errors))
    return " or ".join(phrases)


def _with_hint(keys: list[str], prefix: str = ""):
    """A function naming an unknown key with the closest known one: `--learning_rat (did you mean --learning_rate?)`."""

    def hint(key: str) -> str:
        key = str(key)  # a YAML key may be a number
        close = difflib.get_close_matches(key.split("=")[0], keys, n=1)
        return f"{prefix}{key}" + (f" (did you mean {prefix}{close[0]}?)" if close else "")

    return hint


def _model_args(values: dict, overrides: list[str], trainer: str):
    """The ModelConfig alone (cheap, no TrainingArguments checks) from the same file values and overrides."""
    from trl import ModelConfig

    parser = _parser((ModelConfig,), trainer)
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
