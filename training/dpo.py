"""DPO on the exported preference pairs (prompt/chosen/rejected): TRL's DPOTrainer, nothing hand-written."""

from __future__ import annotations

from training.config import ScriptArguments

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "chosen", "rejected"]


def config_class():
    from trl import DPOConfig

    return DPOConfig


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    from trl import DPOTrainer, get_peft_config, get_quantization_config

    # A model path, not a loaded model: DPOTrainer loads policy and reference from it (with model_init_kwargs).
    return DPOTrainer(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=train,
        eval_dataset=test,
        processing_class=tokenizer,
        quantization_config=get_quantization_config(model_args),
        peft_config=get_peft_config(model_args),
    )
