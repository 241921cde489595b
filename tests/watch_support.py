"""Helpers for the score and watch tests and the watch bench: distinct English articles, a lake holding
some, a tiny model, and a loopback news site that answers conditional requests and gains articles."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from newsalign.cli import main
from newsalign.demo.server import CONTENT_TYPES, SAMPLE_DIR, LoopbackServer, _find
from newsalign.training.tiny import build_tiny_model

WORDS = (
    "market company shares investors growth profit revenue quarter forecast launch product chip battery "
    "factory energy solar software cloud network startup funding round deal merger bank rate inflation "
    "economy policy government minister council city river storm weather football team season coach "
    "hospital doctor patients school students teacher museum artist music film festival garden farmer "
    "harvest village railway airport travel tourism housing rent prices households workers union strike "
    "court judge trial police report research scientists study data climate ocean forest wildlife"
).split()
LINKING = "the a new local several major its their this that".split()


def english(seed: int, words: int = 220) -> str:
    """About `words` words of plain English sentences, different for every seed (no near-duplicates)."""
    rng = random.Random(seed)
    sentences, count = [], 0
    while count < words:
        a, b, c, d = rng.sample(WORDS, 4)
        sentence = f"{rng.choice(LINKING).capitalize()} {a} said the {b} would help {rng.choice(LINKING)} {c} and {d} this year."
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences)


def import_articles(db, tmp: Path, n: int, offset: int = 0) -> None:
    """`newsalign import` of `n` distinct articles into `db`."""
    file = tmp / f"articles-{offset}.jsonl"
    with file.open("w") as out:
        for i in range(offset, offset + n):
            row = {
                "url": f"https://example.com/news/{i}",
                "title": f"Story number {i}: {english(10_000 + i, 8)}",
                "text": english(i),
                "date_published": f"2026-11-{1 + i % 28:02d}T08:00:00Z",
            }
            out.write(json.dumps(row) + "\n")
    assert main(["import", str(file), "--source", "test", "--db", str(db)]) == 0


def tiny_model(out: Path) -> Path:
    return build_tiny_model(out, [english(i, 60) for i in range(40)])


@dataclass
class SiteLog:
    """(path, status, bytes sent: status line, headers and body) of every request a watch site answered."""

    entries: list[tuple[str, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, status: int, size: int) -> None:
        with self.lock:
            self.entries.append((path, status, size))

    def since(self, mark: int) -> list[tuple[str, int, int]]:
        with self.lock:
            return self.entries[mark:]


def _conditional_handler(root: Path, log: SiteLog, delay: float):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            found = _find(root, self.path)
            if found is None:
                return self._send(404, b"not found", {})
            body = found.read_bytes()
            modified = datetime.fromtimestamp(int(found.stat().st_mtime), timezone.utc)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
            if delay and found.suffix == ".html":
                time.sleep(delay)
            if self.headers.get("If-None-Match") == etag or _not_modified_since(self.headers, modified):
                return self._send(304, b"", headers)
            self._send(200, body, {**headers, "Content-Type": CONTENT_TYPES.get(found.suffix, "text/plain")})

        def _send(self, status: int, body: bytes, headers: dict) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            # status line, our headers, Server and Date (~70 bytes), the blank line
            head = 17 + sum(len(k) + len(str(v)) + 4 for k, v in headers.items()) + 70 + 2
            log.add(self.path, status, head + (0 if status == 304 else 20 + len(body)))

        def log_message(self, *args) -> None:
            pass

    return Handler


def _not_modified_since(headers, modified: datetime) -> bool:
    since = headers.get("If-Modified-Since")
    if not since or headers.get("If-None-Match"):
        return False
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class WatchSite:
    """A copy of the sample BBC site on loopback that answers conditional requests and gains articles."""

    def __init__(self, tmp: Path, *, delay: float = 0.0):
        self.root = tmp / "bbc-site"
        shutil.copytree(SAMPLE_DIR / "bbc", self.root)
        self.log = SiteLog()
        self.server = LoopbackServer(("127.0.0.1", 0), _conditional_handler(self.root, self.log, delay))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.added: list[str] = []

    def __enter__(self) -> WatchSite:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_articles(self, n: int) -> list[str]:
        """Publish `n` new articles: their pages, and items at the top of the main feed; their paths."""
        template = (self.root / "news/articles/c7m1r4z9d2eo.html").read_text()
        feed = self.root / "news/rss.xml"
        items, paths = [], []
        for _ in range(n):
            k = len(self.added)
            slug = f"cwatch{k:04d}o"
            title = f"Watch story {k}: {english(50_000 + k, 8).rstrip('.')}"
            published = datetime.now(timezone.utc) - timedelta(minutes=5)
            page = _article_page(template, slug, title, english(90_000 + k, 260), published)
            (self.root / f"news/articles/{slug}.html").write_text(page)
            url = f"https://www.bbc.com/news/articles/{slug}"
            items.append(
                f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
                f"<pubDate>{format_datetime(published)}</pubDate></item>"
            )
            self.added.append(f"/news/articles/{slug}")
            paths.append(f"/news/articles/{slug}")
        text = feed.read_text().replace("<item>", "".join(items) + "<item>", 1)
        before = feed.stat().st_mtime
        feed.write_text(text)
        os.utime(feed, (before + 10, before + 10))  # a later Last-Modified even within the same second
        return paths


def _article_page(template: str, slug: str, title: str, text: str, published: datetime) -> str:
    """The sample page with another id, title, date and body."""
    old_slug, old_title = "c7m1r4z9d2eo", "Storm brings flooding to parts of Wales and western England"
    stamp = published.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    page = template.replace(old_slug, slug).replace(old_title, title)
    page = re.sub(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", stamp, page)
    paragraphs = "".join(
        f'<div data-component="text-block"><p>{sentence}.</p></div>' for sentence in text.split(". ") if sentence
    )
    start, end = page.index('<div data-component="text-block"'), page.rindex("</article>")
    return page[:start] + paragraphs + page[end:]
