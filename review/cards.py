"""One article as the page shows it: the fields a person judges by, and a sparkline of its top topics'
Trends series (where stored) as points for an inline SVG. Values only; the template escapes them."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from newsalign.review.store import check_live

LEAD_CHARS = 600
SPARK_TOPICS = 3
SPARK_WIDTH, SPARK_HEIGHT = 160, 32

# One query: whether the article is live (superseded_by), and what the page shows of it.
_ARTICLE = """
SELECT superseded_by, title, source, strftime(date_published, '%Y-%m-%d'), url, text FROM stg_articles WHERE id = ?
"""

_SERIES = """
SELECT topic, interest FROM trend_series
WHERE status = 'ok' AND list_contains(?, topic) AND len(interest) > 1
QUALIFY row_number() OVER (PARTITION BY topic ORDER BY fetched_at DESC) = 1
"""


@dataclass
class Sparkline:
    topic: str
    points: str  # "x,y x,y ...": numbers only


@dataclass
class Card:
    id: str
    title: str
    source: str
    date: str | None
    url: str | None
    lead: str
    text: str
    shows_labels: bool
    topics: list[str] = field(default_factory=list)
    rationale: str | None = None
    gpt_signal: bool | None = None
    trend_signal: bool | None = None
    sparklines: list[Sparkline] = field(default_factory=list)


def load_card(con: duckdb.DuckDBPyConnection, article_id: str, *, labels: tuple | None) -> Card:
    """The article `article_id`; `ArticleGone` when it is no longer live. `labels`: its automated labels
    (topics, rationale, gpt_signal, trend_signal) where the queue shows them (never in gold), with a
    sparkline of the first topics' stored series."""
    row = con.execute(_ARTICLE, [article_id]).fetchone()
    if row is None or row[0] is not None:
        check_live(con, article_id)  # raises, saying why
    _, title, source, date, url, text = row
    lead = text if len(text) <= LEAD_CHARS else text[:LEAD_CHARS].rsplit(" ", 1)[0] + " …"
    card = Card(article_id, title, source, date, url, lead, text, labels is not None)
    if labels is not None:
        topics, card.rationale, card.gpt_signal, card.trend_signal = labels
        card.topics = list(topics or [])
        card.sparklines = sparklines(con, card.topics[:SPARK_TOPICS])
    return card


def sparklines(con: duckdb.DuckDBPyConnection, topics: list[str]) -> list[Sparkline]:
    """The newest stored series of each topic (in the topics' order), scaled into the sparkline box."""
    wanted = [t.strip().lower() for t in topics]
    found = dict(con.execute(_SERIES, [wanted]).fetchall()) if wanted else {}
    return [Sparkline(t, points(found[t])) for t in wanted if t in found]


def points(values: list[int]) -> str:
    """SVG polyline points for `values` (0..100 Trends interest), left to right across the box."""
    step = SPARK_WIDTH / (len(values) - 1)
    top = max(max(values), 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 1 - (v or 0) / top * (SPARK_HEIGHT - 2):.1f}" for i, v in enumerate(values)
    )
