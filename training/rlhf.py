"""RLHF without PPO: GRPO (TRL's GRPOTrainer) against a reward, with a KL penalty to the reference.

The reward is either the model trained by `newsalign train reward` (`reward: model`, the thesis's
RLHF) or a verifiable one (`reward: verifiable`: 1 when the sampled answer is the gold one). The
reward model is called through `RewardModelReward`, which formats prompt + completion exactly as
TRL's RewardTrainer did in training (text + EOS, tokenized with special tokens); handing GRPO the
model path would feed it prompt + completion without EOS and special tokens, inputs it never saw.
The thesis's adaptive KL controller runs as a callback on the logged KL (`kl_target`). See docs/training.md.
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


class RewardModelReward:
    """A GRPO reward function scoring `prompt + completion` with a reward model, formatted as RewardTrainer
    formatted `prompt + chosen` in training: EOS appended unless present, tokenized with special tokens.
    With `load_in_4bit` (a QLoRA policy's config) it loads in 4-bit too, so a T4 holds both models."""

    __name__ = "reward_model"

    def __init__(self, path, *, batch_size: int = 16, device=None, load_in_4bit: bool = False) -> None:
        from accelerate import PartialState

        from newsalign.training.scoring import is_reward_model, load_model

        device = str(device or PartialState().device)
        self.model, self.tokenizer = load_model(path, device=device, load_in_4bit=load_in_4bit)
        if not is_reward_model(self.model):
            raise NewsalignError(f"reward_model_path {path} is not a reward model (no sequence-classification head)")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size = batch_size

    def texts(self, prompts: list[str], completions: list[str]) -> list[str]:
        eos = self.tokenizer.eos_token
        return [p + c if (p + c).endswith(eos) else p + c + eos for p, c in zip(prompts, completions)]

    def __call__(self, prompts: list[str], completions: list[str], **kwargs) -> list[float]:
        import torch

        texts, rewards = self.texts(prompts, completions), []
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    texts[start : start + self.batch_size], return_tensors="pt", padding=True, padding_side="right"
                ).to(device)
                rewards += self.model(**batch).logits[:, 0].float().tolist()
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
        reward = RewardModelReward(script_args.reward_model_path, load_in_4bit=model_args.load_in_4bit)
    trainer = trainer_from_path("GRPOTrainer", training_args, model_args, train, test, tokenizer, reward_funcs=reward)
    if script_args.kl_target is not None:
        trainer.add_callback(AdaptiveKLCallback(trainer, script_args.kl_target))
    return trainer
