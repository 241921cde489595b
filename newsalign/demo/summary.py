"""What the demo crawl did, per source, and what to ask the warehouse next."""

from __future__ import annotations

from pathlib import Path

from newsalign.warehouse import connect

NEXT_QUERIES = (
    "SELECT source, count(*) AS articles, round(avg(word_count)) AS avg_words FROM v_articles_clean GROUP BY source ORDER BY source",
    "SELECT source, stage_reason, detail, url FROM v_rejects ORDER BY source",
    "SELECT date_published::DATE AS day, source, title FROM v_articles_clean WHERE text ILIKE '%raise%' ORDER BY day DESC",
)


def summary(db: Path, timings: dict[str, float] | None = None) -> str:
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT source, fetched, stored, rejected, rejected_by_reason FROM v_crawl_stats ORDER BY source"
        ).fetchall()
    finally:
        con.close()
    took = f" in {timings['crawl']:.1f} s" if timings and "crawl" in timings else ""
    lines = [
        f"Crawled the sample sites{took} into {db}",
        "",
        f"{'source':<11} {'fetched':>7} {'stored':>6} {'rejected':>8}  why rejected",
    ]
    for source, fetched, stored, rejected, reasons in rows:
        why = ", ".join(f"{reason} {n}" for reason, n in reasons.items()) or "-"
        lines.append(f"{source:<11} {fetched:>7} {stored:>6} {rejected:>8}  {why}")
    totals = [sum(row[i] for row in rows) for i in (1, 2, 3)]
    lines.append(f"{'total':<11} {totals[0]:>7} {totals[1]:>6} {totals[2]:>8}")
    lines.append("(fetched counts every response: robots.txt, sitemaps and feeds too)")
    lines += ["", "Try next:"] + [f'  newsalign sql "{query}" --db {db}' for query in NEXT_QUERIES]
    return "\n".join(lines)
