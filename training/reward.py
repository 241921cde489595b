"""A reward model on the exported pairs (prompt/chosen/rejected): TRL's RewardTrainer.

With LoRA, the new `score` head is kept fully trainable (`modules_to_save`) and, unless the base is
quantized, the adapter is merged at the end, so `newsalign train rlhf` can load the result as a plain
`AutoModelForSequenceClassification`.
"""

from __future__ import annotations

from newsalign.training.config import ScriptArguments
from newsalign.training.trl_build import trainer_from_path, trl_config

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "chosen", "rejected"]
config_class = trl_config("RewardConfig")


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    from trl import get_peft_config

    peft_config = get_peft_config(model_args)
    if peft_config is not None:
        peft_config.task_type = "SEQ_CLS"
        peft_config.modules_to_save = sorted(set(peft_config.modules_to_save or []) | {"score"})
    return trainer_from_path(
        "RewardTrainer", training_args, model_args, train, test, tokenizer, peft_config=peft_config
    )


def after_training(trainer, output_dir) -> None:
    """Merge a LoRA adapter into the base model so the reward model loads without peft."""
    from peft import PeftModel

    model = trainer.accelerator.unwrap_model(trainer.model)
    if not isinstance(model, PeftModel) or getattr(model, "is_loaded_in_4bit", False):
        return
    if trainer.accelerator.is_main_process:
        model.merge_and_unload().save_pretrained(str(output_dir))
        (output_dir / "adapter_config.json").unlink(missing_ok=True)
        (output_dir / "adapter_model.safetensors").unlink(missing_ok=True)
