"""KTO on unpaired answers (prompt/completion/label, both answers per article): TRL's KTOTrainer."""

from __future__ import annotations

from newsalign.training.config import ScriptArguments
from newsalign.training.trl_build import trainer_from_path, trl_config

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "completion", "label"]
config_class = trl_config("KTOConfig")


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    return trainer_from_path("KTOTrainer", training_args, model_args, train, test, tokenizer)
