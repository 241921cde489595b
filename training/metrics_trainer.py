"""The trainers' own logs: `log_history` from the `trainer_state.json` that transformers' Trainer writes.

These are the curves the thesis took from W&B (loss, reward margins, chosen/rejected log-probs,
reward accuracy), read from disk so no W&B account is needed.
"""

from __future__ import annotations

import re
from pathlib import Path

from newsalign.core.files import read_json

# Keys holding the trainer's pairwise "reward accuracy": DPO/KTO log rewards/accuracies, the reward model accuracy.
REWARD_ACCURACY_KEYS = ("rewards/accuracies", "accuracy")


def _checkpoint_step(path: Path) -> int:
    match = re.fullmatch(r"checkpoint-(\d+)", path.parent.name)
    return int(match.group(1)) if match else -1


def find_trainer_state(model_path) -> Path | None:
    """trainer_state.json in the model dir, else in its newest checkpoint-N; then the same one level up
    (a model saved to `<output_dir>/final` keeps its log in `<output_dir>`)."""
    model_path = Path(model_path)
    for folder in (model_path, model_path.parent):
        if (folder / "trainer_state.json").exists():
            return folder / "trainer_state.json"
        checkpoints = sorted(folder.glob("checkpoint-*/trainer_state.json"), key=_checkpoint_step)
        if checkpoints:
            return checkpoints[-1]
    return None


def load_run_facts(model_path) -> dict:
    """`newsalign_run.json` (written by `training.runner`) in the model dir or one level up, or {}."""
    for folder in (Path(model_path), Path(model_path).parent):
        if (folder / "newsalign_run.json").exists():
            return read_json(folder / "newsalign_run.json", "run facts")
    return {}


def load_log_history(model_path) -> list[dict]:
    """The `log_history` entries (one dict per logging step), or [] when no trainer_state.json is found."""
    state = find_trainer_state(model_path)
    if state is None:
        return []
    history = read_json(state, "trainer state").get("log_history", [])
    return history if isinstance(history, list) else []


def series(log_history: list[dict], key: str) -> tuple[list[float], list[float]]:
    """(steps, values) of every entry that logged `key`."""
    points = [
        (entry.get("step", i), entry[key])
        for i, entry in enumerate(log_history)
        if isinstance(entry.get(key), (int, float))
    ]
    return [s for s, _ in points], [v for _, v in points]


def reward_accuracy(log_history: list[dict]) -> dict | None:
    """The last logged reward accuracy, eval before train: {"key", "value", "step", "split"}.

    This is the share of preference pairs whose chosen answer out-scores the rejected one under the
    trainer's implicit reward; it is not the task accuracy measured on the held-out articles.
    """
    for prefix, split in (("eval_", "eval"), ("", "train")):
        for key in REWARD_ACCURACY_KEYS:
            steps, values = series(log_history, prefix + key)
            if values:
                return {"key": prefix + key, "value": values[-1], "step": steps[-1], "split": split}
    return None
