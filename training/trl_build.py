"""What every trainer module shares: its TRL config class looked up by name, and the trainer built
from the model path (TRL loads policy and reference itself, with LoRA and 4-bit from ModelConfig)."""

from __future__ import annotations


def trl_config(name: str):
    """A `config_class()` for the runner that imports TRL only when called."""

    def config_class():
        import trl

        return getattr(trl, name)

    return config_class


def trainer_from_path(trainer: str, training_args, model_args, train, test, tokenizer, *, peft_config=None, **extra):
    """`trl.<trainer>` on `model_args.model_name_or_path` (a path, not a loaded model)."""
    import trl

    return getattr(trl, trainer)(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=train,
        eval_dataset=test,
        processing_class=tokenizer,
        quantization_config=trl.get_quantization_config(model_args),
        peft_config=peft_config if peft_config is not None else trl.get_peft_config(model_args),
        **extra,
    )
