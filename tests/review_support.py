"""Helpers for the review tests: a demo-like lake (several sources, LLM answers, Trends series) and an
API client that speaks for one annotator."""

from __future__ import annotations

from datetime import date

from starlette.testclient import TestClient

from newsalign.review.app import TOKEN_HEADER, create_app
from tests.trends_support import add_articles, add_llm, add_series

SOURCES = {"bbc": 12, "guardian": 6, "techcrunch": 2}
# ten years of interest climbing from 10 to 50, with a yearly bump: the thesis rule does not fire on it
RISING = [10 + round(40 * i / 119) + (8 if i % 12 in (5, 6) else 0) for i in range(120)]


def demo_like_lake(con) -> list[str]:
    """20 articles over three sources (12/6/2), each with an LLM answer (every fourth a signal) and a scored topic
    (every third "rising chips", whose rise the thesis rule misses); returns the ids."""
    add_series(con, "rising chips", date(2024, 3, 1), RISING)
    add_series(con, "quiet topic", date(2024, 3, 1), [0] * 120)
    ids = []
    for source, n in SOURCES.items():
        for i in range(n):
            article_id = f"{source}-{i:02d}"
            add_articles(
                con, [{"id": article_id, "source": source, "title": f"{source} story {i}", "text": f"Body {i}. " * 40}]
            )
            add_llm(con, article_id, ["rising chips" if i % 3 == 0 else "quiet topic"], i % 4 == 0)
            ids.append(article_id)
    return ids


class Annotator:
    """The review API as one annotator's page would call it."""

    def __init__(self, con, queue, name: str, token: str = "t0ken"):
        self.client = TestClient(create_app(con, queue, annotator=name, token=token))
        self.token = token

    def post(self, path: str, body: dict | None = None, *, token: str | None = None):
        headers = {TOKEN_HEADER: self.token if token is None else token}
        return self.client.post(path, json=body or {}, headers=headers)

    def next(self, want: int = 2, exclude=()) -> dict:
        answer = self.post("/api/next", {"want": want, "exclude": list(exclude)})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def decide(self, article_id: str, decision: str, exclude=()) -> dict:
        answer = self.post(
            "/api/decide",
            {"article_id": article_id, "decision": decision, "seconds": 2, "want": 1, "exclude": list(exclude)},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()
