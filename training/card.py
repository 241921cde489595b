"""Write a dataset card: `card.json` (machine-readable) and `README.md` (the same facts for people)."""

from __future__ import annotations

import json
from pathlib import Path

from newsalign.core.files import write_text


def write_card(out: Path, card: dict) -> None:
    write_text(out / "card.json", json.dumps(card, indent=2, default=str) + "\n", "dataset card")
    write_text(out / "README.md", render_card(card), "dataset card")


def render_card(card: dict) -> str:
    opts = card["options"]
    lines = [
        f"# newsalign {card['kind']} training set",
        "",
        f"Created {card['created_at']} by `newsalign export {card['kind']}` from the labels in `{card['label_source']}`.",
        "",
        "| split | articles | positive | negative | rows |",
        "|---|---|---|---|---|",
    ]
    for name, counts in card["counts"].items():
        lines.append(
            f"| {name} | {counts['articles']} | {counts['positive']} | {counts['negative']} | {card['rows'][name]} |"
        )
    lines += [
        "",
        f"- Columns: {', '.join(f'`{c}`' for c in card['columns'])}; the article's signal (boolean) is "
        f"`{card['signal_column']}`"
        + (" (`label` is TRL's: True when the completion is the correct answer)" if card["kind"] == "kto" else ""),
        f"- Split: `{opts['split']}`, test size {opts['test_size']}, validation size "
        f"{opts.get('validation_size', 'none')}, seed {opts['seed']}; "
        f"{card['near_duplicate_groups']} near-duplicate groups, none straddling a split"
        + (f"; {card['undated_dropped']} undated articles left out" if card["undated_dropped"] else ""),
        f"- Balance: `{opts['balance']}`, training part only"
        + (
            f" (before balancing: {before['articles']} articles, {before['positive']} positive, "
            f"{before['negative']} negative); validation and test keep the real class balance"
            if (before := card.get("train_before_balance"))
            else ""
        ),
        f"- Prompt: version `{card['prompt']['version']}` (sha256 {card['prompt']['sha256'][:12]}), "
        f"answers {opts['answers'][0]!r} / {opts['answers'][1]!r}",
        f"- Articles cut to {opts['max_article_tokens']} tokens ({card['token_count']}): "
        f"{card['truncated_articles']} truncated",
        f"- Label parameters: {json.dumps(card['label_params'], default=str) if card['label_params'] else 'none (the label view does not read label_params)'}",
        f"- Warehouse snapshot sha256 (sorted id, content_hash, signal): `{card['warehouse_snapshot_sha256']}`",
        f"- Lake snapshot: `{card.get('lake_snapshot')}` (re-export exactly this state with `--snapshot {card.get('lake_snapshot')}`)",
        "",
    ]
    return "\n".join(lines)
