"""Merge a LoRA/QLoRA adapter (or a chain of them, SFT -> DPO) into its base and save a plain model folder.

The base is loaded unquantized (`dtype`, default: the precision its checkpoint was saved in), every
adapter of the chain is merged into it (`adapters.load_merged`), and the result is written with its
tokenizer as safetensors: a folder `AutoModelForCausalLM.from_pretrained` (or, for a reward adapter,
`AutoModelForSequenceClassification`) and vLLM load with no peft. A QLoRA adapter was trained against
the 4-bit nf4 base; merged into the full-precision base, its outputs differ from training by that
quantization error only.
"""

from __future__ import annotations

import json
from pathlib import Path

from tqdm.auto import tqdm

from newsalign.core.errors import NewsalignError
from newsalign.core.files import building_dir
from newsalign.training.adapters import adapter_config, is_reward_adapter, load_merged, read_tokenizer
from newsalign.training.metrics_trainer import load_run_facts

DTYPES = ("auto", "float32", "bfloat16", "float16")


def adapter_chain(path) -> list[str]:
    """The adapter directories from `path` down to (not including) the base model, then the base model."""
    chain, config = [str(path)], adapter_config(path)
    if config is None:
        raise NewsalignError(f"{path} is not a LoRA adapter directory (no adapter_config.json)")
    while config is not None:
        base = config.get("base_model_name_or_path")
        if not base:
            raise NewsalignError(f"{chain[-1]}/adapter_config.json names no base_model_name_or_path")
        if any(Path(base).resolve() == Path(link).resolve() for link in chain):
            raise NewsalignError(f"{chain[-1]}/adapter_config.json: base_model_name_or_path {base} makes a loop")
        chain.append(base)
        config = adapter_config(base)
    return chain


def export_model(adapter, out, *, dtype: str = "auto", max_shard_size: str = "5GB") -> Path:
    """Write the merged model of `adapter` (and its chain) to `out`; return `out`."""

    if dtype not in DTYPES:
        raise NewsalignError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    adapter, out = Path(adapter), Path(out)
    chain = adapter_chain(adapter)
    if out.is_dir() and any(out.iterdir()):
        raise NewsalignError(f"{out} is not empty: choose a new folder for the merged model")
    with building_dir(out, "--out") as folder:  # a failed export leaves no half-written model
        _export(adapter, chain, folder, out, dtype, max_shard_size)
    return out


def _export(adapter: Path, chain: list[str], folder: Path, out: Path, dtype: str, max_shard_size: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    reward = is_reward_adapter(adapter_config(adapter))
    model_class = AutoModelForSequenceClassification if reward else AutoModelForCausalLM
    kwargs = {"num_labels": 1} if reward else {}
    with tqdm(total=3, desc="export-model", unit="step") as bar:
        bar.set_postfix_str(f"loading {chain[-1]} and merging {len(chain) - 1} adapter(s)")
        model = load_merged(adapter, model_class, dtype=dtype if dtype == "auto" else getattr(torch, dtype), **kwargs)
        tokenizer_dir = next(d for d in chain if (Path(d) / "tokenizer_config.json").exists() or d == chain[-1])
        tokenizer = read_tokenizer(tokenizer_dir)
        if model.config.pad_token_id is None:  # a reward model finds each row's last token by the pad id
            model.config.pad_token_id = tokenizer.pad_token_id
        bar.update()
        bar.set_postfix_str(f"saving to {out}")
        model.config._name_or_path = str(out)
        model.save_pretrained(folder, max_shard_size=max_shard_size)
        tokenizer.save_pretrained(folder)
        bar.update()
        bar.set_postfix_str("run facts")
        facts = {k: v for k, v in load_run_facts(adapter).items() if k != "load_in_4bit"}  # merged: full precision
        if facts:
            (folder / "newsalign_run.json").write_text(json.dumps(facts, indent=2) + "\n")
        bar.update()
