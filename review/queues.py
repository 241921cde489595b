"""What the page shows next: three queues of article ids, each excluding what the annotator decided.

- `GoldQueue`: the gold sample (`review_gold`), drawn once per lake at random, stratified by source
  (each source's articles in a seeded random order, interleaved in proportion to the source's size, so
  every prefix of the queue is a stratified sample). Two annotators never hold the same gold article at
  once, except the `overlap` share, which two people answer (for inter-annotator agreement).
- `DisagreeQueue`: articles where the LLM's answer and the Trends rule differ.
- `UncertainQueue`: ids a model scored, closest to its decision threshold first (`review/uncertain.py`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import duckdb

from newsalign.review.store import ReviewError
from newsalign.warehouse import in_transaction

CLAIM_MINUTES = 30  # a gold article served and not decided is held this long for its annotator

_DRAW = """
INSERT INTO review_gold (article_id, source, position, overlap, seed, drawn_at)
WITH ranked AS (
    SELECT id, source, md5($seed::VARCHAR || ':' || id) AS h,
           row_number() OVER (PARTITION BY source ORDER BY md5($seed::VARCHAR || ':' || id)) AS k,
           count(*) OVER (PARTITION BY source) AS n
    FROM v_articles_clean
)
SELECT id, source, row_number() OVER (ORDER BY (k - 0.5) / n, h)::INTEGER,
       ('0x' || md5($seed::VARCHAR || ':overlap:' || id)[:8])::BIGINT < $overlap * 4294967296, $seed, now()
FROM ranked
"""

# Gold articles this annotator may get: not decided by them (a standing decision or a skip), live, and
# held by fewer other people than the article asks for (1, or 2 for the overlap share). Another person
# holds an article they answered (not a skip), or were served in the last CLAIM_MINUTES and not yet decided.
_GOLD_OPEN = """
WITH mine AS (
    SELECT DISTINCT article_id FROM human_labels WHERE annotator = $who AND undone_at IS NULL
),
holders AS (
    SELECT article_id, annotator FROM human_labels
    WHERE annotator <> $who AND undone_at IS NULL AND decision <> 'skip' AND queue = 'gold'
    UNION
    SELECT c.article_id, c.annotator FROM review_claims AS c
    WHERE c.annotator <> $who AND c.claimed_at > now() - INTERVAL (CLAIM) MINUTE
      AND NOT EXISTS (SELECT 1 FROM human_labels AS h
                      WHERE h.article_id = c.article_id AND h.annotator = c.annotator AND h.undone_at IS NULL)
),
held AS (SELECT article_id, count(*) AS n FROM holders GROUP BY article_id)
SELECT g.article_id
FROM review_gold AS g
JOIN stg_articles AS a ON a.id = g.article_id AND a.superseded_by IS NULL
LEFT JOIN held ON held.article_id = g.article_id
WHERE g.article_id NOT IN (SELECT article_id FROM mine)
  AND NOT list_contains($exclude, g.article_id)
  AND coalesce(held.n, 0) < CASE WHEN g.overlap THEN 2 ELSE 1 END
ORDER BY g.position
""".replace("(CLAIM)", str(CLAIM_MINUTES))

# The claims on `ids` that win over this annotator's: made earlier (ties by name) by someone who has not
# decided the article, or an answer someone gave; an overlap article tolerates one other holder.
_LOST = """
WITH rivals AS (
    SELECT c.article_id, c.annotator FROM review_claims AS c
    JOIN review_claims AS m ON m.article_id = c.article_id AND m.annotator = $who
    WHERE c.annotator <> $who AND c.claimed_at > now() - INTERVAL (CLAIM) MINUTE
      AND (c.claimed_at, c.annotator) < (m.claimed_at, m.annotator)
      AND list_contains($ids, c.article_id)
    UNION
    SELECT article_id, annotator FROM human_labels
    WHERE annotator <> $who AND undone_at IS NULL AND decision <> 'skip' AND list_contains($ids, article_id)
)
SELECT r.article_id FROM rivals AS r JOIN review_gold AS g USING (article_id)
GROUP BY r.article_id, g.overlap
HAVING count(DISTINCT r.annotator) >= CASE WHEN g.overlap THEN 2 ELSE 1 END
""".replace("(CLAIM)", str(CLAIM_MINUTES))


def draw_gold(con: duckdb.DuckDBPyConnection, *, seed: int | None = None, overlap: float = 0.2) -> tuple[int, int]:
    """The lake's gold sample, drawn now if it has none; returns (seed, articles). A seed other than the
    recorded one is refused: the gold set is drawn once, so every study on the lake shares it."""
    if not 0 <= overlap <= 1:
        raise ReviewError(f"--overlap must be a share from 0 to 1, not {overlap}")

    def draw(c: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        recorded, count = c.execute("SELECT any_value(seed), count(*) FROM review_gold").fetchone()
        if count:
            if seed is not None and seed != recorded:
                raise ReviewError(f"this lake's gold sample was drawn with seed {recorded}, not {seed}: drop --seed")
            return recorded, count
        chosen = random.SystemRandom().randrange(2**31) if seed is None else seed
        c.execute(_DRAW, {"seed": chosen, "overlap": overlap})
        return chosen, c.execute("SELECT count(*) FROM review_gold").fetchone()[0]

    return in_transaction(con, draw)


@dataclass
class GoldQueue:
    name = "gold"
    shows_labels = False  # the automated labels could anchor the judgement

    def next_ids(self, con: duckdb.DuckDBPyConnection, who: str, n: int, exclude: list[str]) -> list[str]:
        """Up to `n` gold articles for `who`, claimed for them (claims lost to a concurrent claim are dropped)."""
        for _ in range(5):
            ids = [
                row[0]
                for row in con.execute(_GOLD_OPEN + f" LIMIT {int(n)}", {"who": who, "exclude": exclude}).fetchall()
            ]
            if not ids:
                return []
            in_transaction(
                con,
                lambda c, ids=ids: c.executemany(
                    "INSERT INTO review_claims VALUES (?, ?, now())", [[i, who] for i in ids]
                ),
            )
            lost = {row[0] for row in con.execute(_LOST, {"who": who, "ids": ids}).fetchall()}
            kept = [i for i in ids if i not in lost]
            if kept:
                return kept
            exclude = [*exclude, *ids]
        return []

    def left(self, con: duckdb.DuckDBPyConnection, who: str) -> int:
        return con.execute(f"SELECT count(*) FROM ({_GOLD_OPEN})", {"who": who, "exclude": []}).fetchone()[0]


_DISAGREE = """
SELECT l.article_id FROM int_topics_labels AS l
WHERE l.gpt_signal <> l.trend_signal
  AND l.article_id NOT IN (SELECT article_id FROM human_labels WHERE annotator = $who AND undone_at IS NULL)
  AND NOT list_contains($exclude, l.article_id)
ORDER BY md5(l.article_id)
"""


@dataclass
class DisagreeQueue:
    name = "disagree"
    shows_labels = True

    def next_ids(self, con: duckdb.DuckDBPyConnection, who: str, n: int, exclude: list[str]) -> list[str]:
        return [
            row[0] for row in con.execute(_DISAGREE + f" LIMIT {int(n)}", {"who": who, "exclude": exclude}).fetchall()
        ]

    def left(self, con: duckdb.DuckDBPyConnection, who: str) -> int:
        return con.execute(f"SELECT count(*) FROM ({_DISAGREE})", {"who": who, "exclude": []}).fetchone()[0]


@dataclass
class UncertainQueue:
    """Ids in the order a model's uncertainty put them (closest to the threshold first)."""

    ranked: list[str] = field(default_factory=list)
    name = "uncertain"
    shows_labels = True

    def _open(self, con: duckdb.DuckDBPyConnection, who: str, exclude: list[str]) -> list[str]:
        decided = {
            row[0]
            for row in con.execute(
                "SELECT article_id FROM human_labels h JOIN stg_articles a ON a.id = h.article_id "
                "WHERE h.annotator = ? AND h.undone_at IS NULL",
                [who],
            ).fetchall()
        }
        return [i for i in self.ranked if i not in decided and i not in exclude]

    def next_ids(self, con: duckdb.DuckDBPyConnection, who: str, n: int, exclude: list[str]) -> list[str]:
        return self._open(con, who, exclude)[:n]

    def left(self, con: duckdb.DuckDBPyConnection, who: str) -> int:
        return len(self._open(con, who, []))
