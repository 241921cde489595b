"""QLoRA DPO on a Mistral-7B-shaped model (random weights): peak GPU memory and tokens/s, with and without
`precompute_ref_log_probs`. Run on a CUDA machine with bitsandbytes: `python bench/gpu_qlora_dpo.py [--layers 32]`.

Not part of `python -m bench` (its name has no `bench_` prefix): it needs a GPU and several minutes.
No hub access needed: the model is built from a MistralConfig with 7B dimensions and saved locally
first (DPOTrainer loads from a path, which is where 4-bit quantization is applied).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

MISTRAL_7B = dict(
    hidden_size=4096,
    intermediate_size=14336,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    max_position_embeddings=32768,
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
)


def build(out: Path, layers: int) -> Path:
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    from newsalign.training.tiny import build_tokenizer

    corpus = [f"Shares of company {i} rose after results; is this an investment signal? Yes No" for i in range(2000)]
    tokenizer = build_tokenizer(corpus, vocab_size=32000)
    config = MistralConfig(
        vocab_size=len(tokenizer),
        num_hidden_layers=layers,
        sliding_window=None,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **MISTRAL_7B,
    )
    with torch.device("meta"):
        MistralForCausalLM(config)  # fail fast on a bad config before the slow real init
    model = MistralForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def run(model_dir: Path, precompute: bool, steps: int, batch: int, prompt_tokens: int) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer, BitsAndBytesConfig
    from trl import DPOConfig, DPOTrainer

    words = " ".join(["market"] * prompt_tokens)
    rows = [{"prompt": f"{words} {i}\nAnswer:", "chosen": " Yes", "rejected": " No"} for i in range(steps * batch)]
    args = DPOConfig(
        output_dir=str(model_dir.parent / f"out-{precompute}"),
        max_steps=steps,
        per_device_train_batch_size=batch,
        learning_rate=5e-6,
        bf16=True,
        gradient_checkpointing=True,
        precompute_ref_log_probs=precompute,
        max_length=prompt_tokens + 16,
        save_strategy="no",
        report_to="none",
        logging_steps=steps,
        model_init_kwargs={"dtype": torch.bfloat16},
    )
    quantization = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    lora = LoraConfig(
        r=16,
        lora_alpha=16,
        lora_dropout=0.05,
        task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    )
    torch.cuda.reset_peak_memory_stats()
    trainer = DPOTrainer(
        model=str(model_dir),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=AutoTokenizer.from_pretrained(model_dir),
        quantization_config=quantization,
        peft_config=lora,
    )
    torch.cuda.synchronize()
    start = time.perf_counter()
    trainer.train()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tokens = steps * batch * 2 * (prompt_tokens + 2)  # chosen and rejected sequences
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
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("needs a CUDA GPU (and bitsandbytes)")
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build(Path(tmp) / "mistral-7b-random", args.layers)
        results = [
            run(model_dir, precompute, args.steps, args.batch, args.prompt_tokens) for precompute in (False, True)
        ]
    print(f"{torch.cuda.get_device_name()}: Mistral-7B shape, {args.layers} layers, 4-bit nf4 + LoRA r=16")
    for r in results:
        print(
            f"  precompute_ref_log_probs={r['precompute_ref_log_probs']!s:5}: peak {r['peak_gib']:.1f} GiB, "
            f"{r['tokens_per_s']:.0f} tokens/s ({r['seconds']:.1f} s train)"
        )
    print(f"  memory ratio (precompute / not): {results[1]['peak_gib'] / results[0]['peak_gib']:.2f}x")


if __name__ == "__main__":
    main()
