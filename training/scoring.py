"""Classify by log-probability: P(yes) = softmax over log p(" Yes" | prompt) and log p(" No" | prompt).

No generation. Prompts and answers are tokenized the way TRL's DPOTrainer does (the prompt alone,
and prompt+answer together; the answer is whatever follows their common prefix), so the scored
tokens are the ones the trainers saw. Each answer's log-prob is the sum over its tokens only.

Batches are left-padded with explicit position ids, so every sequence ends at the same column, the
answer tokens are the last columns, and the model projects only those columns to the vocabulary
(`logits_to_keep`); a sequence's score does not depend on what else is in its batch. When every
answer is a single token (" Yes"/" No" in most tokenizers) one forward pass over the prompt scores
all answers at once; otherwise each prompt+answer pair is a row of the same batch.

A reward model (`newsalign train reward`, a sequence classifier) is scored the same way with its
reward of prompt+answer in place of the log-prob.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from newsalign.core.errors import NewsalignError
from newsalign.core.files import read_json, shown
from newsalign.training.adapters import adapter_config, is_reward_adapter, load_merged, read_tokenizer
from newsalign.training.prompt import DEFAULT_ANSWERS


def cuda_dtype(capability: tuple[int, int]):
    """bf16 on Ampere (compute capability 8.0) and newer, fp16 before (a T4 is 7.5). Not
    `torch.cuda.is_bf16_supported()`: it says True on a T4, where bf16 is only emulated, slowly."""
    import torch

    return torch.bfloat16 if capability >= (8, 0) else torch.float16


def load_settings(device: str, load_in_4bit: bool) -> dict:
    """`from_pretrained` keyword arguments: fp32 on CPU; on CUDA the GPU's half precision (`cuda_dtype`), and
    with `load_in_4bit` the 4-bit nf4 (double-quantized) weights training used, computing in that precision."""
    import torch

    if not device.startswith("cuda"):
        return {"dtype": torch.float32}
    dtype = cuda_dtype(torch.cuda.get_device_capability(device))
    if not load_in_4bit:
        return {"dtype": dtype}
    from transformers import BitsAndBytesConfig

    quantization = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=dtype,
    )
    return {"dtype": dtype, "quantization_config": quantization, "device_map": device}


def trained_in_4bit(path) -> bool:
    """Whether the run that wrote `path` loaded its base in 4-bit (its newsalign_run.json says so)."""
    from newsalign.training.metrics_trainer import load_run_facts

    return bool(load_run_facts(path).get("load_in_4bit"))


def model_config(path) -> dict:
    """The config.json of the model folder `path`, checked: UTF-8 JSON with a `model_type` and a list of
    `architectures` (what transformers needs to load it); otherwise one line naming the file."""
    file = Path(path) / "config.json"
    config = read_json(file, "model config")
    if not isinstance(config.get("model_type"), str):
        raise NewsalignError(f"{file}: not a transformers model config (no model_type)")
    architectures = config.get("architectures")
    if architectures is not None and not (
        isinstance(architectures, list) and all(isinstance(a, str) for a in architectures)
    ):
        raise NewsalignError(f"{file}: architectures must be a list of class names, got {architectures!r}")
    return config


def check_model_folder(path) -> None:
    """`path` is a model folder whose config (adapter_config.json, else config.json) reads: one line if not.
    Cheap, no weights loaded: commands call it before opening a warehouse or writing anything."""
    path = Path(path)
    if not os.path.isdir(path):  # (False for a name too long, where Path.is_dir raises)
        raise NewsalignError(f"model path not found: {shown(path)}")
    if adapter_config(path) is None:
        if not (path / "config.json").exists():
            raise NewsalignError(
                f"{path} is neither a model directory (config.json) nor a LoRA adapter (adapter_config.json)"
            )
        model_config(path)


def load_model(path, *, device: str | None = None, load_in_4bit: bool | None = None):
    """(model, tokenizer) from a full model dir (config.json) or a peft LoRA adapter dir (adapter_config.json).

    An adapter is loaded onto its base model (`base_model_name_or_path`) and merged for speed. A
    `*ForSequenceClassification` model (a reward model from `newsalign train reward`) loads as one, and
    so does a sequence-classification adapter (task_type SEQ_CLS, or a saved `score` head: what a
    QLoRA `train reward` leaves), its reward head restored from the adapter. On CUDA, `load_in_4bit`
    (default: as the run was trained, `trained_in_4bit`) loads the base in 4-bit with the adapter kept
    unmerged on it, as in QLoRA training; see `load_settings`.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    path = Path(path)
    check_model_folder(path)  # its config: UTF-8 JSON naming the model, before transformers reads it
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    quantize = trained_in_4bit(path) if load_in_4bit is None else load_in_4bit
    settings = load_settings(device, quantize)
    adapter = adapter_config(path)
    if adapter is not None:
        reward = is_reward_adapter(adapter)
        model_class = AutoModelForSequenceClassification if reward else AutoModelForCausalLM
        kwargs = {"num_labels": 1} if reward else {}
        model = _load_adapter(
            path, adapter, model_class, quantized="quantization_config" in settings, **kwargs, **settings
        )
        tokenizer_dir = path if (path / "tokenizer_config.json").exists() else adapter["base_model_name_or_path"]
    elif (path / "config.json").exists():
        architectures = model_config(path).get("architectures") or []
        reward = any(a.endswith("ForSequenceClassification") for a in architectures)
        try:
            model = (AutoModelForSequenceClassification if reward else AutoModelForCausalLM).from_pretrained(
                path, **settings
            )
        except (OSError, ValueError) as exc:  # no weights, an unknown model_type, a size mismatch
            raise NewsalignError(f"{path}: cannot load the model: {str(exc).splitlines()[0]}") from None
        tokenizer_dir = path
    else:
        raise NewsalignError(
            f"{path} is neither a model directory (config.json) nor a LoRA adapter (adapter_config.json)"
        )
    tokenizer = read_tokenizer(tokenizer_dir)
    if model.config.pad_token_id is None:  # a reward model finds each row's last token by the pad id
        model.config.pad_token_id = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        )
    if "device_map" not in settings:  # a 4-bit model is placed by from_pretrained and cannot be moved
        model = model.to(device)
    return model.eval(), tokenizer


def _load_adapter(path: Path, adapter: dict, model_class, *, quantized: bool, **kwargs):
    """The adapter at `path` on its base: merged in (`load_merged`), or, on a 4-bit base that cannot hold
    merged weights exactly, kept as a LoRA beside it (earlier adapters of a chain merged into the base)."""
    if not quantized:
        return load_merged(path, model_class, **kwargs)
    from peft import PeftModel

    base = load_merged(adapter["base_model_name_or_path"], model_class, **kwargs)
    return PeftModel.from_pretrained(base, path)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def encode(tokenizer, prompts: list[str], answers=DEFAULT_ANSWERS, *, max_length: int | None = None):
    """Per prompt: (prompt ids, [answer ids per answer]), split as TRL's DPOTrainer splits them.

    A prompt longer than `max_length` minus its longest answer loses tokens from its start (after a
    leading BOS, which is kept): the question at the end of the prompt matters more than the
    article's first sentences.
    """
    prompt_ids = tokenizer(prompts)["input_ids"]
    joint = [tokenizer([p + a for p in prompts])["input_ids"] for a in answers]
    encoded = []
    for i, ids in enumerate(prompt_ids):
        cut = min(_common_prefix(ids, j[i]) for j in joint)
        prompt, answer_ids = ids[:cut], [j[i][cut:] for j in joint]
        if not prompt:
            raise NewsalignError(f"prompt {i} is empty after tokenization")
        if any(not a for a in answer_ids):
            raise NewsalignError(f"an answer in {list(answers)!r} adds no token after prompt {i}")
        if max_length is not None:
            keep = max_length - max(map(len, answer_ids))
            if len(prompt) > keep:
                head = prompt[:1] if prompt[0] == tokenizer.bos_token_id else []
                prompt = head + prompt[len(prompt) - (keep - len(head)) :]
        encoded.append((prompt, answer_ids))
    return encoded


def _left_pad(rows: list[list[int]], pad_id: int, device):
    import torch

    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, width - len(row) :] = torch.tensor(row)
        mask[r, width - len(row) :] = 1
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids.to(device), mask.to(device), position_ids.to(device)


def _score_batch(model, pad_id: int, batch) -> np.ndarray:
    """Summed answer log-probs, shape (len(batch), n_answers)."""
    import torch

    n_answers = len(batch[0][1])
    device = next(model.parameters()).device
    if all(len(a) == 1 for _, answers in batch for a in answers):
        # Single-token answers: one pass over the prompts; the last position's distribution scores all.
        ids, mask, pos = _left_pad([p for p, _ in batch], pad_id, device)
        logits = model(input_ids=ids, attention_mask=mask, position_ids=pos, logits_to_keep=1).logits[:, -1]
        logps = torch.log_softmax(logits.float(), dim=-1)
        targets = torch.tensor([[a[0] for a in answers] for _, answers in batch], device=device)
        return logps.gather(1, targets).cpu().numpy()
    rows = [p + a for p, answers in batch for a in answers]
    lengths = torch.tensor([len(a) for _, answers in batch for a in answers], device=device)
    span = int(lengths.max())
    ids, mask, pos = _left_pad(rows, pad_id, device)
    # Logits at the span+1 last columns; column t predicts token t+1, so drop the last one.
    logits = model(input_ids=ids, attention_mask=mask, position_ids=pos, logits_to_keep=span + 1).logits[:, :-1]
    logps = torch.log_softmax(logits.float(), dim=-1).gather(2, ids[:, -span:, None]).squeeze(-1)
    answer_cols = torch.arange(span, device=device)[None, :] >= span - lengths[:, None]
    return (logps * answer_cols).sum(-1).view(len(batch), n_answers).cpu().numpy()


def _reward_batch(model, pad_id: int, eos_id: int, batch) -> np.ndarray:
    """Reward of each prompt+answer+EOS (TRL's RewardTrainer appends EOS), shape (len(batch), n_answers)."""
    device = next(model.parameters()).device
    rows = [p + a + [eos_id] for p, answers in batch for a in answers]
    ids, mask, pos = _left_pad(rows, pad_id, device)
    rewards = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, 0]
    return rewards.float().view(len(batch), -1).cpu().numpy()


def is_reward_model(model) -> bool:
    """A `*ForSequenceClassification` by class (its config may still name the causal base it was built on),
    also under an unmerged LoRA adapter."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return type(base).__name__.endswith("ForSequenceClassification")


def answer_logprobs(
    model, tokenizer, prompts: list[str], answers=DEFAULT_ANSWERS, *, batch_size: int = 8, max_length: int | None = 2048
) -> np.ndarray:
    """Summed log-prob of each answer after each prompt, shape (len(prompts), len(answers)).

    For a reward model, the reward of each prompt+answer instead: its softmax over the answers is
    the Bradley-Terry probability the reward model was trained to fit.
    """
    import torch

    reward = is_reward_model(model)
    encoded = encode(tokenizer, list(prompts), answers, max_length=None if max_length is None else max_length - reward)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    out = np.zeros((len(encoded), len(answers)))
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i][0]))  # similar lengths share a batch
    batches = tqdm(range(0, len(order), batch_size), desc=f"scoring {len(order)} prompts", unit="batch", leave=False)
    with torch.inference_mode():
        for start in batches:
            chunk = order[start : start + batch_size]
            batch = [encoded[i] for i in chunk]
            out[chunk] = (
                _reward_batch(model, pad_id, tokenizer.eos_token_id, batch)
                if reward
                else _score_batch(model, pad_id, batch)
            )
    return out


def p_signal(logprobs: np.ndarray) -> np.ndarray:
    """P(first answer) under a softmax over the answers' scores (summed log-probs, or rewards)."""
    shifted = logprobs - logprobs.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    return probs[:, 0] / probs.sum(axis=1)
