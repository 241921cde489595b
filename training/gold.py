"""`newsalign export <kind> --test-from gold`: the test split is exactly the gold-labelled articles (the
people's answers from `newsalign review`'s gold queue, `v_human_signal`), so a model is measured against a
person's judgement, not the labeller's. Train and validation keep the other labelled articles, less every
near-duplicate of a gold article (a copy in training would leak its answer into the test)."""

from __future__ import annotations

import duckdb
import pandas as pd

from newsalign.core.errors import NewsalignError

GOLD = """
SELECT a.id, a.title, a.text, a.date_published, a.content_hash, h.signal::BOOLEAN AS signal
FROM v_articles_clean AS a JOIN v_human_signal AS h ON h.id = a.id
WHERE h.gold
ORDER BY a.id
"""


def load_gold(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The gold articles with their people's label (the columns `load_labelled` gives)."""
    gold = con.execute(GOLD).df()
    if gold.empty:
        raise NewsalignError(
            "--test-from gold: no gold-labelled articles yet; label some with `newsalign review` (its gold queue)"
        )
    return gold


def gold_parts(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, how: str, validation_size: float, seed: int):
    """({train, validation, test}, facts): test = the gold articles with the people's labels; train and
    validation split the rest of `frame` (whole near-duplicate groups, `how` as `split_frame`), leaving out
    any article in a group with a gold article. facts: counts for the dataset card."""
    from newsalign.training.export import duplicate_groups, split_frame

    gold = load_gold(con)
    rest = frame[~frame["id"].isin(gold["id"])].drop(columns="group", errors="ignore")
    both = pd.concat([gold.assign(is_gold=True), rest.assign(is_gold=False)], ignore_index=True)
    both["group"] = duplicate_groups(con, both)
    gold_groups = set(both.loc[both["is_gold"], "group"])
    near = both[~both["is_gold"] & both["group"].isin(gold_groups)]
    kept = both[~both["is_gold"] & ~both["group"].isin(gold_groups)].drop(columns="is_gold")
    if kept.empty:
        raise NewsalignError("--test-from gold: no labelled articles are left for training beside the gold set")
    train, extra, validation = split_frame(kept, how, validation_size, seed, validation_size=validation_size)
    test = both[both["is_gold"]].drop(columns="is_gold")
    parts = {"train": pd.concat([train, extra]).sort_values("id"), "validation": validation, "test": test}
    facts = {"test_from": "gold", "gold_articles": len(test), "near_duplicates_of_gold_dropped": sorted(near["id"])}
    return parts, facts
