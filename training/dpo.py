"""DPO on the exported preference pairs (prompt/chosen/rejected): TRL's DPOTrainer, nothing hand-written."""

from __future__ import annotations

from newsalign.training.config import ScriptArguments
from newsalign.training.trl_build import trainer_from_path, trl_config

SCRIPT_ARGS = ScriptArguments
COLUMNS = ["prompt", "chosen", "rejected"]
config_class = trl_config("DPOConfig")


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    # A model path, not a loaded model: DPOTrainer loads policy and reference from it (with model_init_kwargs).
    return trainer_from_path("DPOTrainer", training_args, model_args, train, test, tokenizer)
