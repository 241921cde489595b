"""KTO on unpaired answers (prompt/completion/label, both answers per article): TRL's KTOTrainer."""

from __future__ import annotations

from training.config import ScriptArguments

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "completion", "label"]


def config_class():
    from trl import KTOConfig

    return KTOConfig


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    from trl import KTOTrainer, get_peft_config, get_quantization_config

    return KTOTrainer(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=train,
        eval_dataset=test,
        processing_class=tokenizer,
        quantization_config=get_quantization_config(model_args),
        peft_config=get_peft_config(model_args),
    )
