"""Read a split of an export directory (`newsalign export ...`) as one row per article: id, prompt, gold.

The gold label comes from whichever columns the export kind wrote (see `training/export.py`):
`chosen` (dpo, reward: the gold answer), `completion` + `label` (kto: two rows per article),
`label` (rl) or `completion` (sft). The answers come from the export's `card.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from newsalign.core.errors import NewsalignError
from newsalign.training.prompt import DEFAULT_ANSWERS


def read_answers(data_dir) -> tuple[str, str]:
    """(positive, negative) answers from card.json (`options.answers`, or `answers.positive/negative`)."""
    card_path = Path(data_dir) / "card.json"
    if not card_path.exists():
        return DEFAULT_ANSWERS
    card = json.loads(card_path.read_text())
    answers = card.get("options", {}).get("answers") or card.get("answers")
    if isinstance(answers, dict):
        answers = (answers.get("positive"), answers.get("negative"))
    if not answers:
        return DEFAULT_ANSWERS
    if len(answers) != 2 or not all(isinstance(a, str) and a.strip() for a in answers):
        raise NewsalignError(f"{card_path}: answers must be two non-empty strings, got {answers!r}")
    return tuple(answers)


def _read_split(data_dir: Path, split: str) -> pd.DataFrame:
    for suffix, reader in ((".parquet", pd.read_parquet), (".jsonl", lambda p: pd.read_json(p, lines=True))):
        path = data_dir / f"{split}{suffix}"
        if path.exists():
            return reader(path)
    raise NewsalignError(
        f"no {split}.parquet or {split}.jsonl in {data_dir}: point --data at a `newsalign export` directory"
    )


def load_split(data_dir, split: str = "test", answers: tuple[str, str] | None = None) -> pd.DataFrame:
    """Columns id, prompt, gold (bool), one row per article, in file order."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise NewsalignError(f"data directory not found: {data_dir}")
    positive = (answers or read_answers(data_dir))[0].strip()
    frame = _read_split(data_dir, split)
    if frame.empty:
        return pd.DataFrame({"id": pd.Series(dtype=str), "prompt": pd.Series(dtype=str), "gold": pd.Series(dtype=bool)})
    if "prompt" not in frame.columns:
        raise NewsalignError(
            f"{split} split in {data_dir} has no `prompt` column (columns: {', '.join(frame.columns)})"
        )
    if "chosen" in frame.columns:
        gold = frame["chosen"].str.strip() == positive
    elif {"completion", "label"} <= set(frame.columns):
        gold = (frame["completion"].str.strip() == positive) == frame["label"].astype(bool)
    elif "label" in frame.columns:
        gold = frame["label"].astype(bool)
    elif "completion" in frame.columns:
        gold = frame["completion"].str.strip() == positive
    else:
        raise NewsalignError(
            f"cannot derive gold labels from the {split} split in {data_dir}: it needs `chosen`, `label` or `completion` "
            f"(columns: {', '.join(frame.columns)})"
        )
    ids = frame["id"].astype(str) if "id" in frame.columns else pd.Series(range(len(frame)), dtype=str)
    out = pd.DataFrame({"id": ids, "prompt": frame["prompt"], "gold": gold.astype(bool)})
    return out.drop_duplicates("id").reset_index(drop=True)
