"""Supervised fine-tuning on prompt/completion pairs (loss on the answer only): TRL's SFTTrainer."""

from __future__ import annotations

from newsalign.training.config import ScriptArguments
from newsalign.training.trl_build import trainer_from_path, trl_config

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "completion"]
config_class = trl_config("SFTConfig")


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    return trainer_from_path("SFTTrainer", training_args, model_args, train, test, tokenizer)
