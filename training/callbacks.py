"""Trainer callbacks: stop on a NaN loss, and the thesis's adaptive KL controller for online RL."""

from __future__ import annotations

import math

from transformers import TrainerCallback


class NanLossCallback(TrainerCallback):
    """Stop training when a logged loss is NaN or infinite, without saving that step.

    Checkpoints saved before the bad step are kept; `bad_step` tells the caller what happened.
    The loss is seen every `logging_steps`, so log every step where a NaN is likely.
    """

    def __init__(self) -> None:
        self.bad_step: int | None = None
        self.bad_value: float | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.bad_step, self.bad_value = state.global_step, loss
            control.should_training_stop = True
            control.should_save = False
        return control


class AdaptiveKLCallback(TrainerCallback):
    """The adaptive KL penalty (Schulman et al. 2017, as in the thesis): halve beta when the logged KL is
    below d_targ/1.5, double it when above 1.5*d_targ. Reads `kl` from the trainer's logs and writes
    `trainer.beta`, which GRPO/RLOO read at every loss computation."""

    def __init__(self, trainer, kl_target: float, beta_min: float = 1e-4, beta_max: float = 10.0) -> None:
        if kl_target <= 0:
            raise ValueError(f"kl_target must be positive, got {kl_target}")
        self.trainer, self.kl_target = trainer, kl_target
        self.beta_min, self.beta_max = beta_min, beta_max
        self.history: list[tuple[int, float, float]] = []  # (step, kl, beta after the update)

    def on_log(self, args, state, control, logs=None, **kwargs):
        kl = (logs or {}).get("kl")
        if kl is None or not math.isfinite(kl):
            return control
        beta = self.trainer.beta
        if kl < self.kl_target / 1.5:
            beta /= 2
        elif kl > self.kl_target * 1.5:
            beta *= 2
        self.trainer.beta = min(max(beta, self.beta_min), self.beta_max)
        self.history.append((state.global_step, kl, self.trainer.beta))
        logs["beta"] = self.trainer.beta
        if state.log_history:  # Trainer keeps a copy of `logs`: record beta beside the KL it answered
            state.log_history[-1]["beta"] = self.trainer.beta
        return control
