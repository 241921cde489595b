"""The decision a model's scores need: its threshold (chosen on validation by `newsalign evaluate`) and its
calibration. Kept beside the model in `newsalign_decision.json`, or read from an evaluation's `metrics.json`
(the entry whose path is the model's folder). Without either, the threshold is 0.5 and no calibration,
and `Decision.source` says so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from newsalign.core.errors import NewsalignError
from newsalign.core.files import read_json, write_text
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


class _Platt(BaseModel):
    method: Literal["platt"] = "platt"
    a: float = Field(allow_inf_nan=False)
    b: float = Field(allow_inf_nan=False)


class _Entry(BaseModel):
    """A decision as kept: `{"threshold": 0.42, "calibration": {"method": "platt", "a": 1.3, "b": -0.2}}`."""

    threshold: float = Field(ge=0, le=1, allow_inf_nan=False)
    calibration: _Platt | None = None


def _from_entry(entry, source: str) -> Decision:
    try:
        checked = _Entry.model_validate(entry)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the decision"
        got = f", got {error['input']!r}" if error["type"] != "missing" else ""
        raise NewsalignError(f"{source}: {where}: {error['msg'].lower()}{got}"[:500]) from None
    platt = (checked.calibration.a, checked.calibration.b) if checked.calibration else None
    return Decision(checked.threshold, platt, source)


def load_decision(model_dir, metrics: Path | None = None) -> Decision:
    """The model's decision: from `metrics` (an evaluation's metrics.json) when given, else from
    `newsalign_decision.json` beside the model, else the 0.5 default."""
    model_dir = Path(model_dir).resolve()
    if metrics is not None:
        entries = read_json(metrics, "evaluation metrics").get("models")
        if not isinstance(entries, dict):
            raise NewsalignError(f"evaluation metrics {metrics}: no `models` mapping (not a metrics.json of evaluate)")
        for name, entry in entries.items():
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("path"), str)
                and Path(entry["path"]).resolve() == model_dir
            ):
                return _from_entry(entry, f"{metrics} (model {name!r})")
        raise NewsalignError(f"{metrics} has no model evaluated from {model_dir}")
    file = model_dir / DECISION_FILE
    if not file.exists():
        return Decision()
    return _from_entry(read_json(file, "decision file"), f"decision file {file}")


def save_decision(model_dir, decision: Decision) -> Path:
    """Write `decision` beside the model, where `newsalign score` finds it."""
    file = Path(model_dir) / DECISION_FILE
    write_text(file, json.dumps(decision.as_json(), indent=2) + "\n")
    return file
