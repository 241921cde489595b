"""The decision a model's scores need: its threshold (chosen on validation by `newsalign evaluate`) and its
calibration. Kept beside the model in `newsalign_decision.json`, or read from an evaluation's `metrics.json`
(the entry whose path is the model's folder). Without either, the threshold is 0.5 and no calibration,
and `Decision.source` says so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsalign.core.errors import NewsalignError
from newsalign.training.calibration import apply_platt

DECISION_FILE = "newsalign_decision.json"


@dataclass(frozen=True)
class Decision:
    threshold: float = 0.5
    platt: tuple[float, float] | None = None  # (a, b) of a Platt calibration
    source: str = "none kept beside the model: threshold 0.5, no calibration"

    def probability(self, scores: np.ndarray) -> np.ndarray:
        return apply_platt(self.platt, scores) if self.platt else np.asarray(scores, dtype=float)

    def signal(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores, dtype=float) > self.threshold

    def as_json(self) -> dict:
        calibration = {"method": "platt", "a": self.platt[0], "b": self.platt[1]} if self.platt else None
        return {"threshold": self.threshold, "calibration": calibration}


def _from_entry(entry: dict, source: str) -> Decision:
    threshold = entry.get("threshold")
    if not isinstance(threshold, (int, float)):
        raise NewsalignError(f"{source}: no numeric threshold")
    calibration = entry.get("calibration") or None
    platt = (float(calibration["a"]), float(calibration["b"])) if calibration else None
    return Decision(float(threshold), platt, source)


def load_decision(model_dir, metrics: Path | None = None) -> Decision:
    """The model's decision: from `metrics` (an evaluation's metrics.json) when given, else from
    `newsalign_decision.json` beside the model, else the 0.5 default."""
    model_dir = Path(model_dir).resolve()
    if metrics is not None:
        try:
            entries = json.loads(Path(metrics).read_text())["models"]
        except (OSError, ValueError, KeyError) as exc:
            raise NewsalignError(f"cannot read the evaluation metrics {metrics}: {exc}") from None
        for name, entry in entries.items():
            if entry.get("path") and Path(entry["path"]).resolve() == model_dir:
                return _from_entry(entry, f"{metrics} (model {name!r})")
        raise NewsalignError(f"{metrics} has no model evaluated from {model_dir}")
    file = model_dir / DECISION_FILE
    if not file.exists():
        return Decision()
    try:
        return _from_entry(json.loads(file.read_text()), str(file))
    except (ValueError, KeyError, TypeError) as exc:
        raise NewsalignError(f"{file} is not a decision file: {exc}") from None


def save_decision(model_dir, decision: Decision) -> Path:
    """Write `decision` beside the model, where `newsalign score` finds it."""
    file = Path(model_dir) / DECISION_FILE
    file.write_text(json.dumps(decision.as_json(), indent=2) + "\n")
    return file
