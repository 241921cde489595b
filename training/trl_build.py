"""What every trainer module shares: its TRL config class looked up by name, and the trainer built
from the model path (TRL loads policy and reference itself, with LoRA and 4-bit from ModelConfig)."""

from __future__ import annotations

import functools
from pathlib import Path


def trl_config(name: str):
    """A `config_class()` for the runner that imports TRL only when called."""

    def config_class():
        import trl

        return getattr(trl, name)

    return config_class


def trainer_from_path(trainer: str, training_args, model_args, train, test, tokenizer, *, peft_config=None, **extra):
    """`trl.<trainer>` on `model_args.model_name_or_path`: a path TRL loads itself, or, when it is a LoRA
    adapter (the output of `train sft --use_peft true`), the adapter on its base (see `load_adapter`)."""
    import trl

    peft_config = peft_config if peft_config is not None else trl.get_peft_config(model_args)
    quantization = trl.get_quantization_config(model_args)
    model = model_args.model_name_or_path
    on_adapter = (Path(model) / "adapter_config.json").exists()
    if on_adapter:
        model, peft_config = load_adapter(Path(model), training_args, quantization, peft_config)
        quantization = None
    built = getattr(trl, trainer)(
        model=model,
        args=training_args,
        train_dataset=train,
        eval_dataset=test,
        processing_class=tokenizer,
        quantization_config=quantization,
        peft_config=peft_config,
        **extra,
    )
    if on_adapter and peft_config is not None:
        # The new LoRA names the adapter directory as its base (the chain `newsalign evaluate` rebuilds), which
        # holds no config.json: peft's save would ask the Hugging Face Hub for one to compare vocabulary sizes,
        # and warn when it cannot. Training never resizes the vocabulary, so embeddings are never saved.
        built.model.save_pretrained = functools.partial(built.model.save_pretrained, save_embedding_layers=False)
    return built


def load_adapter(path: Path, training_args, quantization, peft_config):
    """(model, peft_config) to train from a LoRA adapter directory.

    Unquantized: the base with the adapter merged in (`adapters.load_merged`), so the policy and its
    reference both start as the adapted (e.g. SFT) model and a new LoRA trains on top; that LoRA
    names `path` as its base, so `newsalign evaluate` rebuilds the chain. Quantized (QLoRA): weights
    cannot be merged into a 4-bit base, so the adapter itself keeps training (`peft_config` None); the
    reference is then the base with the adapter disabled.
    """
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    from newsalign.training.adapters import load_merged

    kwargs = {k: v for k, v in (training_args.model_init_kwargs or {}).items() if k != "revision"}
    if quantization is not None:
        model = AutoPeftModelForCausalLM.from_pretrained(
            path, is_trainable=True, quantization_config=quantization, **kwargs
        )
        return model, None
    training_args.model_init_kwargs = None  # applied here; TRL warns about them for a loaded model
    return load_merged(path, AutoModelForCausalLM, **kwargs), peft_config
