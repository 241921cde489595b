"""RLHF without PPO: GRPO (TRL's GRPOTrainer) against a reward, with a KL penalty to the reference.

The reward is either the model trained by `newsalign train reward` (`reward: model`, the thesis's
RLHF) or a verifiable one (`reward: verifiable`: 1 when the sampled answer is the gold one). The
thesis's adaptive KL controller runs as a callback on the logged KL (`kl_target`). See docs/training.md.
"""

from __future__ import annotations

from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.training.callbacks import AdaptiveKLCallback
from newsalign.training.config import RLHFArguments
from newsalign.training.trl_build import trainer_from_path, trl_config

SCRIPT_ARGS = RLHFArguments
COLUMNS = ["prompt", "answer"]
config_class = trl_config("GRPOConfig")


def verifiable_reward(completions: list[str], answer: list[str], **kwargs) -> list[float]:
    """1.0 when the first word of the sampled completion is the gold answer, else 0.0."""
    rewards = []
    for completion, gold in zip(completions, answer):
        words = completion.split()
        rewards.append(float(bool(words) and words[0].strip(".,:;!") == gold.strip()))
    return rewards


def build_trainer(script_args, training_args, model_args, train, test, tokenizer):
    if training_args.beta <= 0:
        raise NewsalignError(f"rlhf needs a KL penalty to the reference: set beta > 0 (got {training_args.beta})")
    if script_args.reward == "verifiable":
        reward = verifiable_reward
    elif not script_args.reward_model_path or not Path(script_args.reward_model_path).is_dir():
        raise NewsalignError(
            f"reward: model needs reward_model_path, the output of `newsalign train reward` "
            f"(got {script_args.reward_model_path!r}); or set reward: verifiable"
        )
    else:
        reward = script_args.reward_model_path
    trainer = trainer_from_path("GRPOTrainer", training_args, model_args, train, test, tokenizer, reward_funcs=reward)
    if script_args.kl_target is not None:
        trainer.add_callback(AdaptiveKLCallback(trainer, script_args.kl_target))
    return trainer
