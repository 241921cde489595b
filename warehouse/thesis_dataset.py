"""The thesis's dataset file (`newsalign export dataset`): one object per labelled article of v_signal
with its topics, growth and labels."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.core.files import replacing, shown
from newsalign.warehouse.labels import label_settings

FORMATS = ("json", "jsonl", "parquet")

# growth: {topic: {"g3": .., "g5": .., "g10": ..}} for the scored topics, in topic order; a topic
# Trends has no data for maps to nulls. A MAP keeps that order and is written as a JSON object.
DATASET_QUERY = """
WITH growth AS (
    SELECT id, map(list(topic ORDER BY rank), list({'g3': g3, 'g5': g5, 'g10': g10} ORDER BY rank)) AS growth
    FROM (SELECT id, topic, min(rank) AS rank, any_value(g3) AS g3, any_value(g5) AS g5, any_value(g10) AS g10
          FROM v_growth GROUP BY id, topic)
    GROUP BY id
)
SELECT
    a.id,
    a.title,
    strftime(a.date_published AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS date_published,
    a.text,
    a.url AS link,
    s.gpt_signal,
    l.topics,
    coalesce(g.growth, MAP {}) AS growth,
    s.signal
FROM v_signal AS s
JOIN v_articles_clean AS a ON a.id = s.id
JOIN int_topics_labels AS l ON l.article_id = s.id
LEFT JOIN growth AS g ON g.id = s.id
ORDER BY a.date_published, a.id
"""


def export_dataset(con: duckdb.DuckDBPyConnection, out: str | Path, fmt: str = "json") -> int:
    """Write every article of v_signal to `out`; returns the number written."""
    if fmt not in FORMATS:
        raise NewsalignError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out)
    if os.path.isdir(out):
        raise NewsalignError(f"--out {out} is a folder; give a file name such as {out / f'dataset.{fmt}'}")
    label_settings(con)  # a bad label setting fails here, with its fix, before a file is written
    options = {"json": "FORMAT json, ARRAY true", "jsonl": "FORMAT json", "parquet": "FORMAT parquet"}[fmt]
    with replacing(out, "--out") as temp:  # a full disk or a kill leaves no half-written file
        target = str(temp).replace("'", "''")
        try:
            (written,) = con.execute(
                f"COPY ({DATASET_QUERY}) TO '{target}' ({options})"
            ).fetchone()  # COPY returns its row count
        except duckdb.IOException as exc:  # DuckDB's own write error (a full disk): its reason, named by --out
            reason = str(exc).splitlines()[0].split(": ", 1)[-1]
            raise NewsalignError(f"--out {shown(out)}: cannot write: {reason[-300:]}") from None
    return written
