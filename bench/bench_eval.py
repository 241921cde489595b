"""Evaluation throughput: log-prob scoring (`training.scoring`) vs generate-and-parse classification.

Both classify the same prompts with the same tiny Mistral, batch size and device. The baseline is
what evaluation by generation does: left-padded `model.generate` of 4, 16 or 32 greedy tokens, then parse
"yes"/"no" from the text. Prompts are AG News articles in the export's prompt template when
../shared is present, synthetic articles otherwise. Prints articles/s of both and the ratio.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path

N_PROMPTS = 96
BATCH_SIZE = 16
NEW_TOKENS = (4, 16, 32)  # generation budgets: a terse answer, a sentence, a short explanation
THREADS = 1  # one intra-op thread: steadier timings on a shared machine, same for both sides
AG_NEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ag_news" / "test.csv"


def _articles(n: int) -> list[str]:
    if AG_NEWS.exists():
        with AG_NEWS.open(newline="") as handle:
            rows = [row for row in csv.reader(handle)][1 : n + 1]
        return [" ".join(cell for cell in row[1:]) for row in rows]
    return [
        f"Company {i} reports quarterly results; shares move as analysts revise targets. " * (1 + i % 6)
        for i in range(n)
    ]


def _prompts(n: int) -> list[str]:
    from newsalign.training.prompt import PromptBuilder

    build = PromptBuilder(max_article_tokens=512)
    return [build(text[:60], text) for text in _articles(n)]


def generate_and_parse(model, tokenizer, prompts: list[str], *, batch_size: int, new_tokens: int) -> list[bool | None]:
    """The baseline: greedy-generate a few tokens per prompt and read yes/no off the text (None: unparsable)."""
    import torch

    tokenizer.padding_side = "left"
    labels = []
    for start in range(0, len(prompts), batch_size):
        batch = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True)
        with torch.inference_mode():
            out = model.generate(
                **batch, max_new_tokens=new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
            )
        for text in tokenizer.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True):
            word = text.strip().lower()
            labels.append(True if word.startswith("yes") else False if word.startswith("no") else None)
    return labels


def _best_rates(fns: dict, n: int, rounds: int = 5) -> dict[str, float]:
    """Articles/s of each function: best of `rounds`, run interleaved so load from other processes hits all alike."""
    best = {name: float("inf") for name in fns}
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: n / seconds for name, seconds in best.items()}


def main() -> None:
    import torch

    from newsalign.training.scoring import answer_logprobs, load_model
    from newsalign.training.tiny import build_tiny_model

    torch.set_num_threads(THREADS)
    prompts = _prompts(N_PROMPTS)
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = load_model(build_tiny_model(Path(tmp) / "tiny", prompts, hidden_size=128, layers=4))
    lengths = [len(ids) for ids in tokenizer(prompts)["input_ids"]]
    print(
        f"{len(prompts)} prompts, {min(lengths)}-{max(lengths)} tokens (mean {sum(lengths) / len(lengths):.0f}); "
        f"batch {BATCH_SIZE}; device {next(model.parameters()).device}, {THREADS} thread; tiny Mistral 4x128"
    )

    generators = {
        f"generate {n}": (
            lambda n=n: generate_and_parse(model, tokenizer, prompts, batch_size=BATCH_SIZE, new_tokens=n)
        )
        for n in NEW_TOKENS
    }
    rates = _best_rates(
        {"ours": lambda: answer_logprobs(model, tokenizer, prompts, batch_size=BATCH_SIZE), **generators}, len(prompts)
    )
    ours = rates["ours"]
    parsed = generate_and_parse(model, tokenizer, prompts, batch_size=BATCH_SIZE, new_tokens=NEW_TOKENS[0])
    print(f"log-prob scoring:                 {ours:8.1f} articles/s (P(yes) for every article)")
    for n in NEW_TOKENS:
        rate = rates[f"generate {n}"]
        print(f"generate-and-parse, {n:2d} new tokens: {rate:8.1f} articles/s  ratio {ours / rate:.1f}x")
    print(
        f"({sum(p is None for p in parsed)}/{len(parsed)} generated answers unparsable from the untrained model at "
        f"{NEW_TOKENS[0]} tokens; scoring always gives a probability)"
    )
    print(f"ratio (same batch size, {NEW_TOKENS[0]} new tokens): {ours / rates[f'generate {NEW_TOKENS[0]}']:.1f}x")


if __name__ == "__main__":
    main()
