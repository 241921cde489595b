"""Load a model that may be a LoRA adapter, or a chain of them (an SFT adapter, a DPO adapter trained on it).

An adapter directory names its base in `adapter_config.json` (`base_model_name_or_path`); when that
base is itself an adapter directory, it is loaded (and merged) first. `newsalign train dpo` from an
SFT adapter writes such a chain: its adapter's base is the SFT adapter directory.
"""

from __future__ import annotations

from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.core.files import read_json, shown


def adapter_config(path) -> dict | None:
    """The adapter_config.json of `path`, or None when `path` is not a local adapter directory; a file that is
    not UTF-8 JSON, or names no base model, is one line naming it."""
    config = Path(path) / "adapter_config.json"
    if not config.exists():
        return None
    data = read_json(config, "adapter config")
    base = data.get("base_model_name_or_path")
    if not (isinstance(base, str) and base.strip()):
        raise NewsalignError(f"{config}: base_model_name_or_path must name the base model, got {base!r}")
    return data


def is_reward_adapter(config: dict) -> bool:
    """A sequence-classification adapter: task_type SEQ_CLS or a saved `score` head (a LoRA reward model)."""
    return config.get("task_type") == "SEQ_CLS" or "score" in (config.get("modules_to_save") or [])


def load_merged(path, model_class, **kwargs):
    """`model_class.from_pretrained(path)`, or for an adapter: its base (recursively) with the adapter merged in.

    The merged model remembers `path` as its name, so an adapter trained on it names `path` as its base."""
    config = adapter_config(path)
    if config is None:
        return model_class.from_pretrained(path, **kwargs)
    from peft import PeftModel

    base = config.get("base_model_name_or_path")
    if not base:
        raise NewsalignError(f"{path}/adapter_config.json names no base_model_name_or_path")
    try:
        model = load_merged(base, model_class, **kwargs)
    except OSError as exc:
        raise NewsalignError(f"cannot load base model {base!r} of adapter {path}: {exc}".splitlines()[0]) from None
    model = PeftModel.from_pretrained(model, path).merge_and_unload()
    model.config._name_or_path = model.name_or_path = str(path)
    return model


TOKENIZER_JSON = ("tokenizer_config.json", "tokenizer.json", "special_tokens_map.json")


def read_tokenizer(path, what: str = "tokenizer"):
    """`AutoTokenizer.from_pretrained(path)`; tokenizer files that are missing, not UTF-8 or not JSON are one
    line naming `path` instead of transformers' own exception."""
    from transformers import AutoTokenizer

    for name in TOKENIZER_JSON:  # transformers takes each for a JSON object, and fails on any other value
        if (Path(path) / name).is_file():
            read_json(Path(path) / name, what)
    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise NewsalignError(f"{what} {shown(path)}: no tokenizer could be loaded ({reason})") from None
