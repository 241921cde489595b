"""Articles as the page shows them: the fields a person judges by, and a sparkline of their top topics'
Trends series (where stored) as points for an inline SVG. Values only; the template escapes them.
The cards of one request are read together: one query for the articles, one for the series."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb

from newsalign.review.store import ArticleGone, gone_reason

LEAD_CHARS = 600
SPARK_TOPICS = 3
SPARK_WIDTH, SPARK_HEIGHT = 160, 32

# One query: whether each article is live (superseded_by), and what the page shows of it.
_ARTICLES = """
SELECT id, superseded_by, title, source, strftime(date_published, '%Y-%m-%d'), url, text FROM stg_articles
WHERE list_contains(?, id)
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


def load_cards(
    con: duckdb.DuckDBPyConnection, ids: list[str], labels: dict[str, tuple] | None
) -> dict[str, Card | ArticleGone]:
    """{id: its Card, or ArticleGone saying why it is no longer live}. `labels`: the automated labels
    (topics, rationale, gpt_signal, trend_signal) by id where the queue shows them (never in gold), with
    a sparkline of each card's first topics' stored series."""
    if not ids:
        return {}
    rows = {row[0]: row[1:] for row in con.execute(_ARTICLES, [ids]).fetchall()}
    cards: dict[str, Card | ArticleGone] = {}
    for article_id in ids:
        row = rows.get(article_id)
        if row is None or row[0] is not None:
            cards[article_id] = ArticleGone(gone_reason(article_id, row[0] if row else None))
            continue
        _, title, source, date, url, text = row
        lead = text if len(text) <= LEAD_CHARS else text[:LEAD_CHARS].rsplit(" ", 1)[0] + " …"
        card = Card(article_id, title, source, date, url, lead, text, labels is not None)
        if labels is not None:
            topics, card.rationale, card.gpt_signal, card.trend_signal = labels.get(article_id, ((), None, None, None))
            card.topics = list(topics or [])
        cards[article_id] = card
    _add_sparklines(con, [card for card in cards.values() if isinstance(card, Card) and card.topics])
    return cards


def _add_sparklines(con: duckdb.DuckDBPyConnection, cards: list[Card]) -> None:
    """Each card's first topics' newest stored series (in the topics' order), scaled into the sparkline box."""
    wanted = {card.id: [t.strip().lower() for t in card.topics[:SPARK_TOPICS]] for card in cards}
    every = sorted({t for topics in wanted.values() for t in topics})
    found = dict(con.execute(_SERIES, [every]).fetchall()) if every else {}
    for card in cards:
        card.sparklines = [Sparkline(t, points(found[t])) for t in wanted[card.id] if t in found]


def points(values: list[int]) -> str:
    """SVG polyline points for `values` (0..100 Trends interest), left to right across the box."""
    step = SPARK_WIDTH / (len(values) - 1)
    top = max(max(values), 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 1 - (v or 0) / top * (SPARK_HEIGHT - 2):.1f}" for i, v in enumerate(values)
    )


class CardShelf:
    """Cards read ahead, so that most requests read no article: after an answer has gone out, the cards
    of the articles the queue offers next are read together (`stock`); a request that misses reads its
    own and those together. A card is served once, and only within `ttl` seconds of its reading (an
    article superseded later is caught when it is decided)."""

    def __init__(self, ttl: float = 120.0):
        self.ttl = ttl
        self._cards: dict[str, tuple[float, Card]] = {}

    def take(
        self, con: duckdb.DuckDBPyConnection, ids: list[str], ahead: list[str], labels: dict[str, tuple] | None
    ) -> dict[str, Card | ArticleGone]:
        """The cards of `ids` (ArticleGone for those no longer live); a miss also reads `ahead`."""
        self._drop_stale()
        missing = [i for i in ids if i not in self._cards]
        gone = self._read(con, [*missing, *ahead], labels) if missing else {}
        return {i: gone[i] if i in gone else self._cards.pop(i)[1] for i in ids}

    def stock(self, con: duckdb.DuckDBPyConnection, ahead: list[str], labels: dict[str, tuple] | None) -> None:
        """Read the cards of `ahead` when fewer than half of them are on the shelf."""
        self._drop_stale()
        if 2 * sum(a in self._cards for a in ahead) < len(ahead):
            self._read(con, ahead, labels)

    def _read(
        self, con: duckdb.DuckDBPyConnection, ids: list[str], labels: dict[str, tuple] | None
    ) -> dict[str, ArticleGone]:
        """Shelve the cards of `ids` not on the shelf; returns those no longer live."""
        now = time.monotonic()
        read = load_cards(con, list(dict.fromkeys(i for i in ids if i not in self._cards)), labels)
        self._cards.update((i, (now, card)) for i, card in read.items() if isinstance(card, Card))
        return {i: card for i, card in read.items() if isinstance(card, ArticleGone)}

    def _drop_stale(self) -> None:
        now = time.monotonic()
        self._cards = {i: (at, card) for i, (at, card) in self._cards.items() if now - at <= self.ttl}
