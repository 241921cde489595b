"""A small warehouse of AG News items with a label table, for the export, experiment and training tests."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

from tests.helpers import AG_NEWS, require_shared

POSITIVE_CLASSES = {"3", "4"}  # AG News Business and Sci/Tech stand in for investment signals


LABEL = "agnews_labels"  # the label table tests export from (`--label`); the real v_signal needs LLM/Trends data


def build_warehouse(db_path: Path, n: int = 120) -> Path:
    """A small warehouse of AG News items, one a day, labelled in `agnews_labels` (Business+Sci/Tech positive)."""
    from newsalign.warehouse import connect

    with require_shared(AG_NEWS).open() as handle:
        items = [row for _, row in zip(range(n), csv.DictReader(handle))]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rows = []
    for i, item in enumerate(items):
        text = item["description"]
        rows.append(
            {
                "id": f"a{i:04d}",
                "source": "agnews",
                "url": f"https://example.com/{i}",
                "title": item["title"],
                "date_published": start + timedelta(days=i),
                "text": text,
                "authors": [],
                "section": None,
                "tags": [],
                "language": "en",
                "fetched_at": start,
                "page_type": "article",
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                "word_count": len(text.split()),
                "run_id": None,
                "stored_at": start,
                "ag_class": item["label"],
            }
        )
    con = connect(db_path)
    table = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "ag_class"} for r in rows])
    con.register("incoming", table)
    con.execute("INSERT INTO articles BY NAME SELECT * FROM incoming")
    labels = pa.Table.from_pylist([{"id": r["id"], "signal": r["ag_class"] in POSITIVE_CLASSES} for r in rows])
    con.register("labels", labels)
    con.execute(f"CREATE TABLE {LABEL} AS SELECT * FROM labels")
    con.close()
    return db_path
