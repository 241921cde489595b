"""Export labelled articles from the warehouse as TRL training sets (DPO, reward, RL, KTO, SFT).

One function, `export_training_set`: read articles joined to a label view `(id, signal)`, group
near-duplicates so no group straddles a split, split (random or by time) into train, validation
and test, balance the training part only (validation and test keep the real class balance), build
prompts, write `train.*` / `validation.*` / `test.*` and a dataset card saying how they were made.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from newsalign.core import minhash
from newsalign.core.errors import NewsalignError
from newsalign.core.files import make_dir, replacing, writing
from newsalign.training.card import write_card
from newsalign.training.prompt import (
    DEFAULT_ANSWERS,
    DEFAULT_PROMPT_VERSION,
    PromptBuilder,
    check_answers,
)
from newsalign.warehouse.labels import label_settings

KINDS = ("dpo", "reward", "rl", "kto", "sft")
SPLITS = ("train", "validation", "test")
# The boolean column holding the article's signal: `label`, but in kto TRL's `label` is "desirable".
SIGNAL_COLUMN = {kind: "signal" if kind == "kto" else "label" for kind in KINDS}
ARTICLES_VIEW = "v_articles_clean"


@dataclass
class ExportOptions:
    kind: str
    out: Path
    split: str = "random"  # random | time
    test_size: float = 0.1
    validation_size: float = 0.1
    seed: int = 42
    balance: str = "none"  # none | downsample | weights
    max_article_tokens: int = 512
    tokenizer: str | None = None
    label: str = "v_signal"
    format: str = "parquet"  # parquet | jsonl
    answers: tuple[str, str] = DEFAULT_ANSWERS
    prompt_version: str = DEFAULT_PROMPT_VERSION
    test_from: str | None = None  # gold: the test split is the gold-labelled articles (training/gold.py)
    extra: dict = field(default_factory=dict)


def export_training_set(
    con: duckdb.DuckDBPyConnection, options: ExportOptions, tokenizer=None, snapshot: int | None = None
) -> dict:
    """Write the training set described by `options`; return the dataset card (also written as card.json).

    `tokenizer`: the one loaded from `options.tokenizer` already, when the caller exports several kinds.
    `snapshot`: the lake snapshot `con` reads (opened with `connect(..., snapshot=...)`), recorded in the
    card so `newsalign export ... --snapshot N` rebuilds exactly this set.
    """
    _check_options(options)
    label_settings(con)  # a malformed label setting is one clear line before the label views are read
    tokenizer = tokenizer or _load_tokenizer(options.tokenizer)
    check_answers(options.answers, tokenizer)
    frame = load_labelled(con, options.label)
    if frame.empty:
        raise NewsalignError(
            f"no labelled articles: {ARTICLES_VIEW} joined to {options.label} has no rows with a signal; "
            "label them first (`newsalign enrich llm`, `newsalign enrich trends`) or pass --label VIEW"
        )
    frame["group"] = duplicate_groups(con, frame)
    undated = 0
    if options.split == "time":
        undated = int(frame["date_published"].isna().sum())
        frame = frame[frame["date_published"].notna()]
        if frame.empty:
            raise NewsalignError(
                f"--split time: these {undated} articles have no dates (date_published); use --split random"
            )
    parts, gold_facts = _split_parts(con, frame, options)
    _check_classes(parts["train"], "training")
    population = _class_counts(parts["train"])
    parts["train"] = balance(parts["train"], options.balance, options.seed)
    builder = PromptBuilder(options.max_article_tokens, tokenizer, options.prompt_version)
    rows = {name: to_rows(part, options.kind, builder, options.answers) for name, part in parts.items()}
    make_dir(options.out, "--out")
    for name, records in rows.items():
        write_rows(records, options.out / f"{name}.{options.format}", options.format)
    card = {
        "kind": options.kind,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items() if k != "extra"},
        "columns": list(rows["train"][0]) if rows["train"] else [],
        "signal_column": SIGNAL_COLUMN[options.kind],
        "counts": {name: _class_counts(part) for name, part in parts.items()},
        "train_before_balance": population,
        "rows": {name: len(records) for name, records in rows.items()},
        "near_duplicate_groups": int(frame["group"].nunique()),
        "undated_dropped": undated,
        "truncated_articles": builder.truncated,
        "token_count": "tokenizer" if tokenizer is not None else "regex estimate (words and punctuation)",
        "prompt": {"version": builder.template.version, "sha256": builder.template.sha256},
        "label_source": options.label,
        "label_params": label_params_rows(con) if uses_label_params(con, options.label) else None,
        "warehouse_snapshot_sha256": snapshot_hash(frame),
        "lake_snapshot": snapshot,
    }
    if gold_facts is not None:
        card["gold"] = gold_facts
    write_card(options.out, card)
    return card


def _split_parts(con, frame, options: ExportOptions) -> tuple[dict, dict | None]:
    """{train, validation, test} frames, and the gold sample's facts when the test split is people's
    (`--test-from gold`, training/gold.py), else None."""
    if options.test_from == "gold":
        from newsalign.training.gold import gold_parts

        return gold_parts(con, frame, options.split, options.validation_size, options.seed)
    split = split_frame(frame, options.split, options.test_size, options.seed, options.validation_size)
    return dict(zip(SPLITS, split)), None


def _check_options(options: ExportOptions) -> None:
    if options.kind not in KINDS:
        raise NewsalignError(f"unknown export kind {options.kind!r}; expected one of {', '.join(KINDS)}")
    if not 0 < options.test_size < 1:
        raise NewsalignError(f"--test-size must be between 0 and 1, got {options.test_size}")
    if not 0 < options.validation_size < 1 or options.test_size + options.validation_size >= 1:
        raise NewsalignError(
            f"--validation-size must be between 0 and 1 and leave rows for training beside --test-size, "
            f"got {options.validation_size} with --test-size {options.test_size}"
        )
    choices = {
        "split": ("random", "time"),
        "balance": ("none", "downsample", "weights"),
        "format": ("parquet", "jsonl"),
    }
    for name, allowed in choices.items():
        if getattr(options, name) not in allowed:
            raise NewsalignError(f"--{name} must be one of {', '.join(allowed)}, got {getattr(options, name)!r}")


def _load_tokenizer(path: str | None):
    if path is None:
        return None
    if not Path(path).exists():
        raise NewsalignError(f"tokenizer path {path} does not exist")
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:  # a folder without tokenizer files
        first_line = str(exc).strip().splitlines()[0].rstrip(": ")
        raise NewsalignError(f"--tokenizer {path}: no tokenizer could be loaded from it ({first_line})") from None


def _relation_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [name]
    ).fetchall()
    return [r[0] for r in rows] or None


def load_labelled(con: duckdb.DuckDBPyConnection, label: str) -> pd.DataFrame:
    """Articles with a non-NULL signal from `label`: id, title, text, date_published, content_hash, signal."""
    if _relation_columns(con, ARTICLES_VIEW) is None:
        raise NewsalignError(f"the warehouse has no {ARTICLES_VIEW} view: open it read-write once to create views")
    columns = _relation_columns(con, label)
    if columns is None:
        raise NewsalignError(
            f"label view {label!r} not found in the warehouse: build the labels first, or pass --label VIEW "
            "naming a view with columns (id, signal)"
        )
    if not {"id", "signal"} <= set(columns):
        raise NewsalignError(f"label view {label!r} must have columns (id, signal); it has {', '.join(columns)}")
    return con.execute(
        f"""SELECT a.id, a.title, a.text, a.date_published, a.content_hash, s.signal::BOOLEAN AS signal
            FROM {ARTICLES_VIEW} a JOIN "{label}" s ON s.id = a.id
            WHERE s.signal IS NOT NULL ORDER BY a.id"""
    ).df()


def duplicate_groups(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> np.ndarray:
    """A group number per row: rows sharing a content hash, or near-duplicates by the crawler's MinHash
    definition (`core.minhash`, over the stored `article_fingerprints`), are one group."""
    index = {article_id: i for i, article_id in enumerate(frame["id"])}
    first = {}
    pairs = [(first.setdefault(digest, i), i) for i, digest in enumerate(frame["content_hash"])]
    if _relation_columns(con, "article_fingerprints") is not None:
        query = "SELECT id, minhash FROM article_fingerprints WHERE len(minhash) = ?"
        stored = [(index[a], m) for a, m in con.execute(query, [minhash.NUM_PERM]).fetchall() if a in index]
        rows = [i for i, _ in stored]
        pairs += [(rows[a], rows[b]) for a, b in minhash.near_duplicate_pairs([m for _, m in stored])]
    return minhash.groups(len(frame), pairs)


def split_frame(
    frame: pd.DataFrame, how: str, test_size: float, seed: int, validation_size: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, validation, test), whole near-duplicate groups each: shuffled (`random`) or by time (`time`:
    groups ordered by their newest article, test the newest, validation the next, so train < validation < test)."""
    groups = frame.groupby("group")
    if how == "random":
        order = np.random.default_rng(seed).permutation(frame["group"].unique())
    else:
        order = groups["date_published"].max().sort_values(kind="stable").index.to_numpy()[::-1]
    sizes = groups.size()
    assigned = pd.Series("train", index=order)
    taken, position = 0, 0
    for name, share in (("test", test_size), ("validation", validation_size)):
        target = taken + max(1, round(share * len(frame)))
        while position < len(order) and taken < target:
            assigned.iloc[position] = name
            taken += sizes[order[position]]
            position += 1
    split = frame["group"].map(assigned)
    return tuple(frame[split == name].copy() for name in SPLITS)


def _check_classes(frame: pd.DataFrame, what: str) -> None:
    counts = frame["signal"].value_counts()
    if frame.empty:
        raise NewsalignError(f"the {what} set is empty: label more articles or lower --test-size/--validation-size")
    if len(counts) < 2:
        only = "positive" if counts.index[0] else "negative"
        raise NewsalignError(f"the {what} set has only {only} examples ({len(frame)}); a classifier needs both classes")


def balance(train: pd.DataFrame, how: str, seed: int) -> pd.DataFrame:
    """`downsample`: drop random majority rows to the minority count; `weights`: add a `weight` column."""
    counts = train["signal"].value_counts()
    if how == "downsample":
        keep = [part.sample(n=counts.min(), random_state=seed) for _, part in train.groupby("signal")]
        return pd.concat(keep).sort_values("id")
    if how == "weights":
        train = train.copy()
        train["weight"] = train["signal"].map(lambda s: len(train) / (2 * counts[s]))
    return train


def to_rows(frame: pd.DataFrame, kind: str, builder: PromptBuilder, answers: tuple[str, str]) -> list[dict]:
    """Rows in TRL's column contract for `kind`, plus `id`, the article's boolean signal, and `weight` when
    balancing by weights. The signal is `label`, except in kto, where TRL's `label` means "this completion
    is desirable" and the article's signal is `signal`."""
    positive, negative = answers
    rows = []
    for record in tqdm(frame.to_dict("records"), desc=f"{kind} prompts", unit="article", leave=False):
        signal = bool(record["signal"])
        gold, wrong = (positive, negative) if signal else (negative, positive)
        extra = {SIGNAL_COLUMN[kind]: signal, **({"weight": float(record["weight"])} if "weight" in record else {})}
        base = {"id": record["id"], "prompt": builder(record["title"], record["text"])}
        if kind in ("dpo", "reward"):
            rows.append({**base, "chosen": gold, "rejected": wrong, **extra})
        elif kind == "rl":
            rows.append({**base, "answer": gold, **extra})
        elif kind == "sft":
            rows.append({**base, "completion": gold, **extra})
        else:  # kto: both answers, unpaired, TRL's label True for the correct one
            rows.append({**base, "completion": gold, "label": True, **extra})
            rows.append({**base, "completion": wrong, "label": False, **extra})
    return rows


def write_rows(rows: list[dict], path: Path, fmt: str) -> None:
    """`rows` as JSON lines or Parquet in `path`, whole or not at all (a full disk: one line, no part file)."""
    if fmt == "jsonl":
        with writing(path, "export file") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    with replacing(path, "export file") as temp:
        pq.write_table(pa.Table.from_pylist(rows), temp)  # pyarrow's write errors are OSErrors


def _class_counts(frame: pd.DataFrame) -> dict:
    positive = int(frame["signal"].sum())
    return {"articles": len(frame), "positive": positive, "negative": len(frame) - positive}


def label_params_rows(con: duckdb.DuckDBPyConnection) -> list[dict] | None:
    """The rows of the `label_params` table (how the labels were derived), when the warehouse has one."""
    if _relation_columns(con, "label_params") is None:
        return None
    relation = con.sql("SELECT * FROM label_params")
    return [
        {
            c: (v if isinstance(v, (int, float, bool, str, type(None))) else str(v))
            for c, v in zip(relation.columns, row)
        }
        for row in relation.fetchall()
    ]


def uses_label_params(con: duckdb.DuckDBPyConnection, label: str) -> bool:
    """Whether the label view reads the `label_params` table, directly or through the views it selects from."""
    views = dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
    todo, seen = [label], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in views:
            continue
        seen.add(name)
        if re.search(r"\blabel_params\b", views[name]):
            return True
        todo += [view for view in views if re.search(rf"\b{re.escape(view)}\b", views[name])]
    return False


def snapshot_hash(frame: pd.DataFrame) -> str:
    """SHA-256 over sorted (id, content_hash, signal): the same labelled data gives the same hash."""
    digest = hashlib.sha256()
    for article_id, content_hash, signal in sorted(zip(frame["id"], frame["content_hash"], frame["signal"])):
        digest.update(f"{article_id}\t{content_hash}\t{int(signal)}\n".encode())
    return digest.hexdigest()
