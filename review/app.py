"""The review page as an ASGI app (Starlette): one HTML page, our own JS and CSS, and a small JSON API.

Every API call needs the session's write token in the `X-Review-Token` header (the page reads it from
the URL fragment the command prints, which never reaches a server log). Every response carries a strict
Content-Security-Policy: scripts and styles only from this server, nothing inline, nothing elsewhere.
Article fields are rendered by Jinja2 with autoescape on: crawled text is shown as text, never as HTML.
One DuckDB connection serves the app; the endpoints are `async` and do their database work without
awaiting, so requests are handled one at a time on it.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from newsalign.review.cards import load_card
from newsalign.review.progress import progress
from newsalign.review.queues import CLAIM
from newsalign.review.state import ReviewState
from newsalign.review.store import ArticleGone, ReviewError, record_decision, undo_last

HERE = Path(__file__).parent
TOKEN_HEADER = "X-Review-Token"
PRELOAD = 2  # articles the page holds: the one on screen and the next
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class Session:
    """What one server serves: the lake connection, the queue, who annotates, and the write token."""

    con: duckdb.DuckDBPyConnection
    queue: object  # a GoldQueue or a RankedQueue (review/queues.py)
    annotator: str
    token: str
    started: datetime


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response


def create_app(con: duckdb.DuckDBPyConnection, queue, *, annotator: str, token: str) -> Starlette:
    """The app over an open read-write connection to the lake (closed when the app shuts down)."""
    session = Session(con, queue, annotator, token, datetime.now(timezone.utc))
    pages = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        con.close()

    def api(handler):
        async def guarded(request: Request) -> Response:
            if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, ""), session.token):
                return JSONResponse(
                    {"error": "missing or wrong write token: open the link newsalign review printed"}, 403
                )
            started = time.perf_counter()
            try:
                body = await request.json() if request.method == "POST" else {}
                result = handler(session, pages, body if isinstance(body, dict) else {})
            except json.JSONDecodeError:
                return JSONResponse({"error": "the request body is not JSON"}, 400)
            except ReviewError as exc:
                return JSONResponse({"error": str(exc)}, 400)
            response = JSONResponse(result)
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
            return response

        return guarded

    async def index(request: Request) -> Response:
        page = pages.get_template("index.html").render(queue=queue.name, annotator=annotator)
        return HTMLResponse(page)

    routes = [
        Route("/", index),
        Route("/api/next", api(next_articles), methods=["POST"]),
        Route("/api/decide", api(decide), methods=["POST"]),
        Route("/api/undo", api(undo), methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)


def _exclude(body: dict) -> list[str]:
    held = body.get("exclude", [])
    return [str(i) for i in held] if isinstance(held, list) else []


def _labels(session: Session, article_id: str) -> tuple | None:
    """The automated labels the page shows with the article: none in gold; unknown ones as such."""
    if not session.queue.shows_labels:
        return None
    return session.queue.labels.get(article_id, ((), None, None, None))


def _items(
    session: Session, pages: jinja2.Environment, n: int, exclude: list[str], state: ReviewState
) -> tuple[list[dict], list[str]]:
    """Up to `n` rendered cards from the queue, and a note for each article gone since it was queued."""
    items, notes = [], []
    card = pages.get_template("card.html")
    while len(items) < n:
        ids = session.queue.next_ids(session.con, session.annotator, n - len(items), exclude, state)
        if not ids:
            break
        for article_id in ids:
            exclude = [*exclude, article_id]
            try:
                article = load_card(session.con, article_id, labels=_labels(session, article_id))
            except ArticleGone as exc:
                notes.append(str(exc))
                continue
            items.append({"id": article_id, "html": card.render(card=article)})
    return items, notes


def next_articles(session: Session, pages: jinja2.Environment, body: dict) -> dict:
    """POST /api/next {want, exclude}: the next articles (not those the page holds) and the progress."""
    want = max(1, min(int(body.get("want", PRELOAD)), 10))
    state = ReviewState.read(session.con)
    items, notes = _items(session, pages, want, _exclude(body), state)
    return {"items": items, "notes": notes, "progress": _progress(session, state)}


def decide(session: Session, pages: jinja2.Environment, body: dict) -> dict:
    """POST /api/decide {article_id, decision, seconds, want, exclude}: store the decision (committed
    before this answers), then the next articles. An article gone meanwhile records nothing: a note says so."""
    notes = []
    seconds = body.get("seconds")
    try:
        decision_id = record_decision(
            session.con,
            article_id=str(body.get("article_id", "")),
            annotator=session.annotator,
            decision=str(body.get("decision", "")),
            queue=session.queue.name,
            seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
        )
    except ArticleGone as exc:
        decision_id, notes = None, [str(exc)]
    want = max(0, min(int(body.get("want", 1)), 10))
    state = ReviewState.read(session.con)
    items, gone = _items(session, pages, want, _exclude(body), state) if want else ([], [])
    return {"decision_id": decision_id, "items": items, "notes": notes + gone, "progress": _progress(session, state)}


def undo(session: Session, pages: jinja2.Environment, body: dict) -> dict:
    """POST /api/undo: take back this annotator's latest decision in the queue; returns its article to show again."""
    article_id = undo_last(session.con, annotator=session.annotator, queue=session.queue.name)
    item, notes = None, []
    if article_id is not None:
        if session.queue.name == "gold":
            session.con.execute(CLAIM, [[article_id], session.annotator])
        try:
            article = load_card(session.con, article_id, labels=_labels(session, article_id))
            item = {"id": article_id, "html": pages.get_template("card.html").render(card=article)}
        except ArticleGone as exc:
            notes.append(str(exc))
    return {
        "undone": article_id,
        "item": item,
        "notes": notes,
        "progress": _progress(session, ReviewState.read(session.con)),
    }


def _progress(session: Session, state: ReviewState) -> dict:
    return progress(session.con, session.queue, session.annotator, session.started, state)
