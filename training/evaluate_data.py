"""Read a split of an export directory (`newsalign export ...`) as one row per article: id, prompt, gold.

The gold label is the export's boolean signal column: `label`, or `signal` in kto exports, where
`label` is TRL's "desirable completion" (see `training/export.py`). The answers the models are scored
on come from the export's `card.json`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from newsalign.core.errors import NewsalignError
from newsalign.core.files import read_json
from newsalign.training.prompt import DEFAULT_ANSWERS


def read_answers(data_dir) -> tuple[str, str]:
    """(positive, negative) answers from card.json (`options.answers`, or `answers.positive/negative`)."""
    card_path = Path(data_dir) / "card.json"
    if not card_path.exists():
        return DEFAULT_ANSWERS
    card = read_json(card_path, "dataset card")
    options = card.get("options") if isinstance(card.get("options"), dict) else {}
    answers = options.get("answers") or card.get("answers")
    if isinstance(answers, dict):
        answers = (answers.get("positive"), answers.get("negative"))
    if not answers:
        return DEFAULT_ANSWERS
    if (
        not isinstance(answers, (list, tuple))
        or len(answers) != 2
        or not all(isinstance(a, str) and a.strip() for a in answers)
    ):
        raise NewsalignError(f"{card_path}: answers must be two non-empty strings, got {answers!r}")
    return tuple(answers)


def has_split(data_dir, split: str) -> bool:
    return any((Path(data_dir) / f"{split}.{ext}").exists() for ext in ("parquet", "jsonl"))


def _read_split(data_dir: Path, split: str) -> pd.DataFrame:
    for suffix, reader in ((".parquet", pd.read_parquet), (".jsonl", lambda p: pd.read_json(p, lines=True))):
        path = data_dir / f"{split}{suffix}"
        if path.exists():
            try:
                return reader(path)
            except (OSError, ValueError) as exc:  # not Parquet, not JSON lines, cut short, not UTF-8
                reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise NewsalignError(f"{path}: not a readable {suffix[1:]} file ({reason})") from None
    raise NewsalignError(
        f"no {split}.parquet or {split}.jsonl in {data_dir}: point --data at a `newsalign export` directory"
    )


def load_split(data_dir, split: str = "test") -> pd.DataFrame:
    """Columns id, prompt, gold (bool), one row per article, in file order."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise NewsalignError(f"data directory not found: {data_dir}")
    frame = _read_split(data_dir, split)
    if frame.empty:
        return pd.DataFrame({"id": pd.Series(dtype=str), "prompt": pd.Series(dtype=str), "gold": pd.Series(dtype=bool)})
    column = "signal" if "signal" in frame.columns else "label"
    missing = {"prompt", column} - set(frame.columns)
    if missing:
        raise NewsalignError(
            f"the {split} split in {data_dir} lacks column(s) {', '.join(sorted(missing))} "
            f"(columns: {', '.join(frame.columns)}): re-export it with `newsalign export`"
        )
    ids = frame["id"].astype(str) if "id" in frame.columns else pd.Series(range(len(frame)), dtype=str)
    out = pd.DataFrame({"id": ids, "prompt": frame["prompt"], "gold": frame[column].astype(bool)})
    return out.drop_duplicates("id").reset_index(drop=True)
