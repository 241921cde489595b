"""Google Trends requests per article: the thesis asked 3 windows × 5 topics = 15 per article;
newsalign asks one series per distinct (topic, geo), with either anchor (published: spanning the ten
years before the topic's first article to the month before its last). Goal: ≤ 1 per article.

Topics: five per AG News test item, derived deterministically in two mixes. "raw": its capitalised
multi-word names, then its most frequent content words (nearly every article brings new topics).
"canonical": only phrases that recur in at least 5 items, most specific (rarest) first, then the
item's category ("world", "sports", "business", "technology"), the way an LLM names topics with
recurring canonical names. Real LLM topics lie between. Publication months: the items in file
order spread over six consecutive months (a six-month crawl). Requests are counted by the real planner.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

THESIS_REQUESTS_PER_ARTICLE = 15
AG_NEWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ag_news" / "test.csv"
MONTHS = 6
STOPWORDS = set(
    """a an the and or but of to in on at for with by from as is are was were be been has have had it its
this that these those he she they we you i his her their our not no said says say will would can could may might
new after before over under about into than then also more most up out down off who what which when where why how
all any some one two three first last year years week today monday tuesday wednesday thursday friday saturday sunday
reuters ap afp quot lt gt amp com www http href aspx just per cent percent""".split()
)
NAME = re.compile(r"\b(?:[A-Z][a-zA-Z&.-]+(?:\s+[A-Z][a-zA-Z&.-]+)+)")
WORD = re.compile(r"[a-z][a-z-]{2,}")


def topics_for(title: str, description: str, k: int = 5) -> list[str]:
    text = f"{title}. {description}".replace("\\", " ")
    names = [n for n in NAME.findall(text) if n.split()[0].lower() not in STOPWORDS]
    words = Counter(w for w in WORD.findall(text.lower()) if w not in STOPWORDS)
    topics: list[str] = []
    for candidate in [*names, *(w for w, _ in words.most_common())]:
        if candidate.lower() not in {t.lower() for t in topics}:
            topics.append(candidate)
        if len(topics) == k:
            break
    return topics


CATEGORIES = {"1": "world", "2": "sports", "3": "business", "4": "technology"}


def canonical_topics(rows: list[dict], k: int = 5, min_items: int = 5) -> list[list[str]]:
    candidates = [topics_for(r["title"], r["description"], k=50) for r in rows]
    df = Counter(c.lower() for cands in candidates for c in {c.lower() for c in cands})
    result = []
    for row, cands in zip(rows, candidates):
        recurring = sorted({c.lower() for c in cands if df[c.lower()] >= min_items}, key=lambda c: (df[c], c))
        result.append([*recurring[: k - 1], CATEGORIES[row["label"]]])
    return result


def load_items(mix: str) -> list[tuple[str, list[str], date]]:
    with AG_NEWS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    per_month = -(-len(rows) // MONTHS)
    topics = canonical_topics(rows) if mix == "canonical" else [topics_for(r["title"], r["description"]) for r in rows]
    return [(f"ag{i}", topics[i], date(2024, 1 + i // per_month, 15)) for i in range(len(rows))]


def count_requests(items) -> tuple[int, int]:
    """(published-anchor requests, fetch-anchor requests) for these items, from the real planner."""
    import pyarrow as pa

    from newsalign.enrich.trends.fetch import plan
    from newsalign.warehouse import connect

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        con.register(
            "items",
            pa.table(
                {
                    "id": [i for i, _, _ in items],
                    "topics": [t for _, t, _ in items],
                    "published": [d for _, _, d in items],
                }
            ),
        )
        con.execute(
            "INSERT INTO articles (id, source, title, date_published, text, authors, tags, fetched_at, page_type, content_hash, word_count) "
            "SELECT id, 'ag_news', id, published::TIMESTAMPTZ, '', [], [], now(), 'article', 'h' || id, 0 FROM items"
        )
        con.execute(
            "INSERT INTO llm_calls (cache_key, article_id, content_hash, model, prompt_version, mode, status, flags, topics, signal, request) "
            "SELECT id, id, 'h' || id, 'bench', 'bench', 'recorded', 'ok', [], topics, false, '{}' FROM items"
        )
        published = len(plan(con, topics_per_article=5, anchor="published", geo="", today=date(2025, 1, 1)))
        fetch = len(plan(con, topics_per_article=5, anchor="fetch", geo="", today=date(2025, 1, 1)))
        con.close()
    return published, fetch


def main() -> None:
    if not AG_NEWS.exists():
        print(f"skipped: needs {AG_NEWS}")
        return
    for mix in ("raw", "canonical"):
        items = load_items(mix)
        n = len(items)
        published, fetch = count_requests(items)
        thesis = THESIS_REQUESTS_PER_ARTICLE * n
        print(
            f"[{mix} topics] {n} AG News items, {sum(len(t) for _, t, _ in items)} topic uses, {fetch} distinct topics"
        )
        print(
            f"  thesis (3 windows x 5 topics per article): {thesis} requests, {THESIS_REQUESTS_PER_ARTICLE:.2f} per article"
        )
        for name, requests in (("published anchor, 6 months", published), ("fetch anchor", fetch)):
            per_article = requests / n
            verdict = "meets" if per_article <= 1 else "misses"
            print(
                f"  newsalign, {name}: {requests} requests, {per_article:.2f} per article "
                f"({thesis / requests:.1f}x fewer than the thesis; {verdict} the goal of <= 1)"
            )
