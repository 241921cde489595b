"""Build a tiny, randomly initialised causal LM and its tokenizer, for tests, the demo and CPU runs.

The model is a 2-layer `MistralForCausalLM` (the thesis's architecture, shrunk) and the tokenizer a
byte-level BPE trained on the given corpus; both save to one directory that
`AutoModelForCausalLM.from_pretrained` / `AutoTokenizer.from_pretrained` load. No hub download.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"}
# Seen often enough in training that the default answers " Yes" / " No" become one token each, so the
# export's equal-answer-length check passes with a tiny tokenizer too.
ANSWER_WORDS = " Yes No"
ANSWER_REPEATS = 20_000


def build_tokenizer(corpus: Iterable[str], *, vocab_size: int = 512):
    """A byte-level BPE tokenizer (any text encodes, no <unk>) with bos/eos/pad/unk, as a fast HF tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(SPECIAL_TOKENS.values())
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(
        itertools.chain(corpus, itertools.repeat(ANSWER_WORDS, ANSWER_REPEATS)), trainer=trainer
    )
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=2048, **SPECIAL_TOKENS)


def build_tiny_model(
    out_dir,
    corpus: Iterable[str],
    *,
    vocab_size: int = 512,
    hidden_size: int = 64,
    layers: int = 2,
    seed: int = 0,
    kind: str = "causal_lm",
) -> Path:
    """Train a BPE tokenizer on `corpus`, save it with a random tiny Mistral to `out_dir`; return the directory.

    `kind="causal_lm"` saves a `MistralForCausalLM`; `kind="sequence_classification"` saves a
    one-label `MistralForSequenceClassification` (a reward model).
    """
    import torch
    from transformers import MistralConfig, MistralForCausalLM, MistralForSequenceClassification

    kinds = {"causal_lm": MistralForCausalLM, "sequence_classification": MistralForSequenceClassification}
    if kind not in kinds:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(kinds)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(corpus, vocab_size=vocab_size)
    config = MistralConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=2048,
        sliding_window=None,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        num_labels=1,
    )
    torch.manual_seed(seed)
    model = kinds[kind](config)
    if getattr(model, "generation_config", None) is not None:  # classification heads have none
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
