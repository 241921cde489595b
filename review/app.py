"""The review page as an ASGI app (Starlette): one HTML page, our own JS and CSS, and a small JSON API.

Every API call needs the session's write token in the `X-Review-Token` header (the page reads it from
the URL fragment the command prints, which never reaches a server log). Every response carries a strict
Content-Security-Policy: scripts and styles only from this server, nothing inline, nothing elsewhere.
Article fields are rendered by Jinja2 with autoescape on: crawled text is shown as text, never as HTML.
One DuckDB connection serves the app; the endpoints are `async` and do their database work without
awaiting, so requests are handled one at a time on it.

A request costs two lake transactions, whatever it does (every statement on a lake pays for a look at
its catalog): one write (the decision or undo, and the claim of the next articles, picked by the state
in memory), and one read (the fresh claims, and a card only when none was read ahead). Everyone's
decisions and the next cards are read after the answer has gone out, ready for the next request.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

import duckdb
import jinja2
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from newsalign.review.cards import Card, CardShelf
from newsalign.review.progress import progress
from newsalign.review.queues import Queue
from newsalign.review.state import Decision, ReviewState, read_claims, read_decisions
from newsalign.review.store import ArticleGone, ReviewError, new_decision, undo_latest
from newsalign.warehouse import in_transaction

HERE = Path(__file__).parent
T = TypeVar("T")
TOKEN_HEADER = "X-Review-Token"
PRELOAD = 2  # articles the page holds: the one on screen and the next
READ_AHEAD = 8  # cards of the articles the queue offers next, read before they are asked for
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
    """What one server serves: the lake connection, the queue, who annotates, the write token, the review
    state as last read (with this server's own decisions since), and the cards read ahead."""

    con: duckdb.DuckDBPyConnection
    queue: Queue
    annotator: str
    token: str
    started: datetime
    state: ReviewState
    shelf: CardShelf
    ahead: list[str] = field(default_factory=list)  # the articles the queue offers next, by `state`


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response


def create_app(con: duckdb.DuckDBPyConnection, queue: Queue, *, annotator: str, token: str) -> Starlette:
    """The app over an open read-write connection to the lake (closed when the app shuts down)."""
    # The server's queries are tiny (a few rows, a table's catalog entries): DuckDB's parallel scheduling
    # costs them more than it saves (about a third of each lake read here).
    con.execute("SET threads = 1")
    session = Session(con, queue, annotator, token, datetime.now(timezone.utc), ReviewState.read(con), CardShelf())
    pages = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        con.close()

    async def refresh() -> None:
        """After an answer has gone out: read everyone's decisions, and the cards of the next articles
        ahead, so that the next request finds them in memory (a request that finds no card reads it)."""
        try:
            session.state = ReviewState(read_decisions(session.con), session.state.claims)
            session.shelf.stock(session.con, session.ahead, session.queue.shown_labels())
        except duckdb.Error:
            pass  # the answer is out; the next request reads what it needs itself, and reports a failure

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
            response = JSONResponse(result, background=BackgroundTask(refresh))
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


def _round(
    session: Session,
    write: Callable[[duckdb.DuckDBPyConnection], tuple[T, list[str]]],
    *,
    rivals: bool = True,
    exclude: Sequence[str] = (),
) -> tuple[T, list[str], dict[str, Card | ArticleGone]]:
    """`write(c)` -> (its result, articles to show) in one transaction; then, in one read, the claims
    (others' claims committed before this write's come first) and the cards of the articles to show that
    this server keeps (all of them with `rivals` False), from the shelf. The state kept in the session
    gets the new claims; the next articles, not `exclude`, are what the shelf reads ahead. Returns
    (write's result, the articles kept, their cards).

    The decisions are those read after the previous answer went out (`refresh`), with this server's own
    since: others' answers committed in between count from the next request (one could only have been
    given to an article someone else held, which their claim shows at once)."""
    result, ids = in_transaction(session.con, write)

    def read(c: duckdb.DuckDBPyConnection):
        state = ReviewState(session.state.decisions, read_claims(c))
        kept = session.queue.kept(state, session.annotator, ids) if rivals else ids
        session.ahead = session.queue.pick(state, session.annotator, READ_AHEAD, [*exclude, *ids])
        return state, kept, session.shelf.take(c, kept, session.ahead, session.queue.shown_labels())

    session.state, kept, cards = in_transaction(session.con, read)
    return result, kept, cards


def _serve(
    session: Session,
    pages: jinja2.Environment,
    want: int,
    exclude: list[str],
    own: Callable[[duckdb.DuckDBPyConnection], T] | None = None,
) -> tuple[T | None, list[dict], list[str]]:
    """The request's own write `own` (if any) and the claim of the next `want` articles in one transaction,
    then their cards: returns (own's result, up to `want` rendered cards, a note for each article gone).
    Articles another server claimed first, or gone, are replaced by the next ones (a few rounds at most)."""
    card = pages.get_template("card.html")
    result, items, notes = None, [], []
    for _ in range(5):
        ids = session.queue.pick(session.state, session.annotator, want - len(items), exclude)
        if not ids and own is None:
            break

        def write(c: duckdb.DuckDBPyConnection, ids=ids, own=own):
            mine = own(c) if own is not None else None
            session.queue.claim(c, ids, session.annotator)
            return mine, ids

        mine, kept, cards = _round(session, write, exclude=exclude)
        if own is not None:
            result, own = mine, None
        exclude = [*exclude, *ids]
        for article_id in kept:
            shown = cards[article_id]
            if isinstance(shown, ArticleGone):
                notes.append(str(shown))
            else:
                items.append({"id": article_id, "html": card.render(card=shown)})
        if len(items) >= want or not ids:
            break
    return result, items, notes


def next_articles(session: Session, pages: jinja2.Environment, body: dict) -> dict:
    """POST /api/next {want, exclude}: the next articles (not those the page holds) and the progress."""
    want = max(1, min(int(body.get("want", PRELOAD)), 10))
    _, items, notes = _serve(session, pages, want, _exclude(body))
    return {"items": items, "notes": notes, "progress": _progress(session)}


def decide(session: Session, pages: jinja2.Environment, body: dict) -> dict:
    """POST /api/decide {article_id, decision, seconds, want, exclude}: store the decision (committed
    before this answers) and claim the next articles in one transaction, then show them. An article gone
    meanwhile records nothing: a note says so."""
    seconds = body.get("seconds")
    article_id = str(body.get("article_id", ""))
    decision = str(body.get("decision", ""))
    insert = new_decision(
        article_id=article_id,
        annotator=session.annotator,
        decision=decision,
        queue=session.queue.name,
        seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
    )

    def own(c: duckdb.DuckDBPyConnection) -> tuple[str | None, list[str]]:
        try:
            return insert(c), []
        except ArticleGone as exc:  # nothing inserted; the claim of the next articles still stands
            return None, [str(exc)]

    want = max(0, min(int(body.get("want", 1)), 10))
    result, items, gone = _serve(session, pages, want, [*_exclude(body), article_id], own)
    decision_id, notes = result or (None, [])
    if decision_id is not None:
        mine = Decision(
            article_id, session.annotator, decision, session.queue.name, datetime.now(timezone.utc), decision_id
        )
        session.state = session.state.with_decision(mine)
    return {"decision_id": decision_id, "items": items, "notes": notes + gone, "progress": _progress(session)}


def undo(session: Session, pages: jinja2.Environment, body: dict) -> dict:
    """POST /api/undo: take back this annotator's latest decision in the queue; returns its article to show
    again (claimed again in gold, in the same transaction)."""

    def write(c: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str] | None, list[str]]:
        undone = undo_latest(c, annotator=session.annotator, queue=session.queue.name)
        shown = [] if undone is None else [undone[1]]
        session.queue.claim(c, shown, session.annotator)
        return undone, shown

    undone, _, cards = _round(session, write, rivals=False)
    item, notes, article_id = None, [], None
    if undone is not None:
        decision_id, article_id = undone
        session.state = session.state.without_decision(decision_id)
        shown = cards[article_id]
        if isinstance(shown, ArticleGone):
            notes.append(str(shown))
        else:
            item = {"id": article_id, "html": pages.get_template("card.html").render(card=shown)}
    return {"undone": article_id, "item": item, "notes": notes, "progress": _progress(session)}


def _progress(session: Session) -> dict:
    return progress(session.queue, session.annotator, session.started, session.state)
