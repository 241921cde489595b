"""QLoRA DPO on a Mistral-7B-shaped model (random weights): peak GPU memory and tokens/s, with and without
`precompute_ref_log_probs`. One command on a CUDA machine with bitsandbytes (pip install 'newsalign[gpu]'):

    python bench/gpu_qlora_dpo.py              # the full 32 layers; --layers 4 for a quick try

Not part of `python -m bench` (its name has no `bench_` prefix): it needs a GPU and several minutes.
No hub access: the random model is written straight to safetensors, one decoder layer per shard, each
tensor created in the GPU's precision (bf16 on Ampere and newer, fp16 on a T4), so no fp32 copy of the
7B model ever exists in host memory; DPOTrainer then loads it from that path in 4-bit nf4. Every prompt
tokenizes to exactly `--prompt-tokens` tokens, inside `max_length`, so TRL keeps every row.
tests/test_gpu_path.py runs everything here that needs no CUDA.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

MISTRAL_7B = dict(
    vocab_size=32000,
    hidden_size=4096,
    intermediate_size=14336,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    max_position_embeddings=32768,
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
    tie_word_embeddings=False,
)
MISTRAL_7B_PARAMETERS = 7_241_732_096  # Mistral-7B-v0.1 at 32 layers
FILLER = " market"  # one token in the benchmark's tokenizer, repeated to reach the prompt length
ANSWERS = (" Yes", " No")


def build_tokenizer():
    """A byte-level BPE whose FILLER and answers are single tokens (tiny.build_tokenizer on a small corpus)."""
    from newsalign.training.tiny import build_tokenizer as bpe

    corpus = [
        f"Shares of company {i} rose after results;{FILLER * 8} is this an investment signal?" for i in range(500)
    ]
    return bpe(corpus, vocab_size=4096)


def model_config(tokenizer, layers: int, **shape):
    """A MistralConfig of the 7B shape (the real 32k vocabulary, so the parameter count is Mistral-7B's)."""
    from transformers import MistralConfig

    return MistralConfig(
        num_hidden_layers=layers,
        sliding_window=None,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **{**MISTRAL_7B, **shape},
    )


def skeleton(config, dtype):
    """The model built on the meta device: names, shapes and dtype of every weight, no memory."""
    import torch
    from transformers import MistralForCausalLM

    with torch.device("meta"):
        return MistralForCausalLM._from_config(config, dtype=dtype)


def shard_plan(config, dtype) -> dict[str, list]:
    """{safetensors file: [(weight name, shape)]}: one file per decoder layer, one for the rest (embeddings,
    final norm, LM head), read off the meta-device skeleton."""
    plan: dict[str, list] = {}
    for name, param in skeleton(config, dtype).state_dict().items():
        parts = name.split(".")
        key = f"layer-{int(parts[2]):03d}" if parts[:2] == ["model", "layers"] else "other"
        plan.setdefault(f"model-{key}.safetensors", []).append((name, param.shape))
    return plan


def random_shards(config, dtype, device: str = "cpu"):
    """(file, {weight name: tensor}) for each file of `shard_plan`, one at a time: every tensor created in
    `dtype` (RMSNorm weights 1, the others N(0, 0.02)), so only one shard is ever in memory."""
    import torch

    for file, weights in shard_plan(config, dtype).items():
        shard = {}
        for name, shape in weights:
            tensor = torch.empty(shape, dtype=dtype, device=device)
            shard[name] = tensor.fill_(1.0) if name.endswith("norm.weight") else tensor.normal_(0.0, 0.02)
        yield file, shard


def write_random_model(out: Path, config, tokenizer, dtype, device: str = "cpu") -> Path:
    """Save a random model of `config` in `dtype`, shard by shard, with its tokenizer: a folder
    `from_pretrained` loads (and quantizes on load)."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    weight_map, total = {}, 0
    for file, shard in random_shards(config, dtype, device):
        save_file({k: v.cpu() for k, v in shard.items()}, out / file, metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(shard, file))
        total += sum(t.numel() * t.element_size() for t in shard.values())
        del shard
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    config.dtype, config.architectures = dtype, ["MistralForCausalLM"]  # TRL picks the model class by this
    config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def precision(capability: tuple[int, int]) -> dict:
    """Mixed precision for a CUDA compute capability: bf16 from Ampere (8.0) on, fp16 before (a T4 is 7.5)."""
    from newsalign.training.scoring import cuda_dtype

    dtype = cuda_dtype(capability)
    bf16 = str(dtype) == "torch.bfloat16"
    return {"dtype": dtype, "bf16": bf16, "fp16": not bf16}


def prompt_rows(tokenizer, count: int, prompt_tokens: int) -> list[dict]:
    """`count` DPO rows whose prompts tokenize (with special tokens, as TRL does) to exactly `prompt_tokens`."""
    filler = tokenizer(FILLER, add_special_tokens=False)["input_ids"]
    if len(filler) != 1:
        raise ValueError(f"{FILLER!r} is {len(filler)} tokens in this tokenizer, expected 1")
    rows = []
    for i in range(count):
        tail = f" {i}\nAnswer:"
        repeat = prompt_tokens - len(tokenizer(tail)["input_ids"])
        rows.append({"prompt": FILLER * repeat + tail, "chosen": ANSWERS[0], "rejected": ANSWERS[1]})
    return rows


def max_length_for(tokenizer, prompt_tokens: int) -> int:
    """Room for the prompt, the longest answer and the EOS TRL appends."""
    longest = max(len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in ANSWERS)
    return prompt_tokens + longest + 1


def dpo_args(output_dir: Path, mixed: dict, *, precompute: bool, steps: int, batch: int, max_length: int, **extra):
    from trl import DPOConfig

    return DPOConfig(
        output_dir=str(output_dir),
        max_steps=steps,
        per_device_train_batch_size=batch,
        learning_rate=5e-6,
        bf16=mixed["bf16"],
        fp16=mixed["fp16"],
        activation_checkpointing=True,
        precompute_ref_log_probs=precompute,
        max_length=max_length,
        save_strategy="no",
        report_to="none",
        logging_steps=steps,
        model_init_kwargs={"dtype": mixed["dtype"]},
        **extra,
    )


def quantization(mixed: dict):
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=mixed["dtype"],
    )


def lora():
    from peft import LoraConfig

    return LoraConfig(
        r=16,
        lora_alpha=16,
        lora_dropout=0.05,
        task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    )


def run(model_dir: Path, mixed: dict, precompute: bool, steps: int, batch: int, prompt_tokens: int) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import DPOTrainer

    from newsalign.training.runner import keep_trainable_fp32

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = prompt_rows(tokenizer, steps * batch, prompt_tokens)
    max_length = max_length_for(tokenizer, prompt_tokens)
    out = model_dir.parent / f"out-{precompute}"
    torch.cuda.reset_peak_memory_stats()
    trainer = DPOTrainer(
        model=str(model_dir),
        args=dpo_args(out, mixed, precompute=precompute, steps=steps, batch=batch, max_length=max_length),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        quantization_config=quantization(mixed),
        peft_config=lora(),
    )
    if len(trainer.train_dataset) != len(rows):
        raise SystemExit(
            f"TRL kept {len(trainer.train_dataset)} of {len(rows)} rows: max_length {max_length} too small"
        )
    if mixed["fp16"]:
        keep_trainable_fp32(trainer.model)  # fp16 AMP unscales fp32 master weights only (as the runner does)
    torch.cuda.synchronize()
    start = time.perf_counter()
    trainer.train()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tokens = sum(len(trainer.train_dataset[i]["prompt_ids"]) + 2 for i in range(len(rows))) * 2  # chosen, rejected
    return {
        "precompute_ref_log_probs": precompute,
        "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
        "tokens_per_s": tokens / seconds,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=32, help="32 = the full Mistral-7B depth")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--dir", type=Path, default=None, help="Where to write the random model (default: a temp dir)")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("needs a CUDA GPU (and bitsandbytes: pip install 'newsalign[gpu]')")
    mixed = precision(torch.cuda.get_device_capability())
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        start = time.perf_counter()
        tokenizer = build_tokenizer()
        model_dir = write_random_model(
            Path(tmp) / "mistral-7b-random", model_config(tokenizer, args.layers), tokenizer, mixed["dtype"], "cuda"
        )
        print(f"wrote the random model in {time.perf_counter() - start:.0f} s")
        results = [
            run(model_dir, mixed, precompute, args.steps, args.batch, args.prompt_tokens)
            for precompute in (False, True)
        ]
    print(
        f"{torch.cuda.get_device_name()}: Mistral-7B shape, {args.layers} layers, 4-bit nf4 + LoRA r=16, "
        f"{'bf16' if mixed['bf16'] else 'fp16'}, {args.prompt_tokens}-token prompts, batch {args.batch}"
    )
    for r in results:
        print(
            f"  precompute_ref_log_probs={r['precompute_ref_log_probs']!s:5}: peak {r['peak_gib']:.1f} GiB, "
            f"{r['tokens_per_s']:.0f} tokens/s ({r['seconds']:.1f} s train)"
        )
    print(f"  memory ratio (precompute / not): {results[1]['peak_gib'] / results[0]['peak_gib']:.2f}x")


if __name__ == "__main__":
    main()
