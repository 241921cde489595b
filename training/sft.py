"""Supervised fine-tuning on prompt/completion pairs (loss on the answer only): TRL's SFTTrainer."""

from __future__ import annotations

from training.config import ScriptArguments

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "completion"]


def config_class():
    from trl import SFTConfig

    return SFTConfig


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    from trl import SFTTrainer, get_peft_config, get_quantization_config

    return SFTTrainer(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=train,
        eval_dataset=test,
        processing_class=tokenizer,
        quantization_config=get_quantization_config(model_args),
        peft_config=get_peft_config(model_args),
    )
