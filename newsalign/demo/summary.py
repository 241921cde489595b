"""What the demo crawl did, per source, and what to ask the warehouse next."""

from __future__ import annotations

from pathlib import Path

from newsalign.warehouse import connect

NEXT_QUERIES = (
    "SELECT source, count(*) AS articles, round(avg(word_count)) AS avg_words FROM v_articles_clean GROUP BY source ORDER BY source",
    "SELECT source, stage_reason, detail, url FROM v_rejects ORDER BY source",
    "SELECT date_published::DATE AS day, source, title FROM v_articles_clean WHERE text ILIKE '%raise%' ORDER BY day DESC",
)

# v_crawl_stats per source plus a total row; why_rejected lists 'stage/reason n', largest first.
PER_SOURCE = """
SELECT
    coalesce(source, 'total') AS source,
    sum(fetched)::BIGINT AS fetched,
    sum(stored)::BIGINT AS stored,
    sum(rejected)::BIGINT AS rejected,
    CASE WHEN grouping(source) = 1 THEN ''
         ELSE coalesce(nullif(array_to_string(list_transform(map_entries(any_value(rejected_by_reason)),
                                                             lambda e: e.key || ' ' || e.value), ', '), ''), '-')
    END AS why_rejected
FROM v_crawl_stats
GROUP BY ROLLUP (source)
ORDER BY grouping(source), source
"""


def summary(db: Path, timings: dict[str, float] | None = None) -> str:
    with connect(db, read_only=True) as con:
        table = str(con.sql(PER_SOURCE))  # DuckDB draws the table
    took = f" in {timings['crawl']:.1f} s" if timings and "crawl" in timings else ""
    lines = [
        f"Crawled the sample sites{took} into {db}",
        table,
        "(fetched counts every response: robots.txt, sitemaps and feeds too)",
        "",
        "Try next:",
    ]
    lines += [f'  newsalign sql "{query}" --db {db}' for query in NEXT_QUERIES]
    return "\n".join(lines)
