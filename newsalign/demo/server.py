"""Serve the embedded sample sites on loopback, one port per source, for the demo, tests and benchmarks.

    with serve_sample() as sites:          # {"bbc": "http://127.0.0.1:41234", ...}
        scrapy crawl bbc -a site=<sites["bbc"]>

Each source's folder under `sample/` is its site root: a URL path maps to the file at that path, or with
`.html` / `.xml` appended, or to `index.html` / `index.xml` inside it; the query string is ignored (Reuters'
sitemaps are `...?outputType=xml`). `_status.json` in a folder gives some paths another HTTP status (the
Reuters bot-check page answers 401, as DataDome does).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsalign.crawler.parsers import SOURCES

SAMPLE_DIR = Path(__file__).parent / "sample"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass
class RequestLog:
    """Every request the sample sites answered, as (source, path with query, user agent)."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, source: str, path: str, agent: str) -> None:
        with self.lock:
            self.entries.append((source, path, agent))

    def paths(self, source: str) -> list[str]:
        with self.lock:
            return [p for s, p, _ in self.entries if s == source]


def _find(root: Path, path: str) -> Path | None:
    rel = unquote(urlsplit(path).path).lstrip("/")
    base = (root / rel).resolve()
    if root.resolve() not in (base, *base.parents):
        return None  # no escaping the site root with ../
    for candidate in (
        base,
        base.with_name(base.name + ".html"),
        base.with_name(base.name + ".xml"),
        base / "index.html",
        base / "index.xml",
    ):
        if candidate.is_file() and not candidate.name.startswith("_"):
            return candidate
    return None


def sample_handler(source: str, root: Path, log: RequestLog | None, delay: float) -> type[BaseHTTPRequestHandler]:
    status_file = root / "_status.json"
    statuses = json.loads(status_file.read_text()) if status_file.exists() else {}

    class SampleHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if log is not None:
                log.add(source, self.path, self.headers.get("User-Agent", ""))
            found = _find(root, self.path)
            if found is None:
                self.send_error(404)
                return
            body = found.read_bytes()
            if delay:
                time.sleep(delay)
            self.send_response(statuses.get(urlsplit(self.path).path, 200))
            self.send_header("Content-Type", CONTENT_TYPES.get(found.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # quiet: Scrapy logs every request already
            pass

    return SampleHandler


class LoopbackServer(ThreadingHTTPServer):
    """A threaded loopback server that leaves out the traceback socketserver prints when a client drops its
    connection mid-request (a crawl stopping, an SDK cancelling its calls in flight: the client's doing, and
    nothing the server did wrong); any other error in a request is printed as before."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve_sample(
    sources: tuple[str, ...] = SOURCES, *, log: RequestLog | None = None, delay: float = 0.0, root: Path = SAMPLE_DIR
) -> Iterator[dict[str, str]]:
    """Start one loopback HTTP server per source; yield {source: base URL}; stop them all on exit.

    `log` records every request; `delay` (seconds) slows each answer, like a real site (tests use it to
    interrupt a crawl midway); `root` holds one folder per source (the embedded sample by default)."""
    with ExitStack() as stack:
        sites = {}
        for source in sources:
            server = LoopbackServer(("127.0.0.1", 0), sample_handler(source, root / source, log, delay))
            thread = threading.Thread(target=server.serve_forever, name=f"sample-{source}", daemon=True)
            thread.start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            sites[source] = f"http://127.0.0.1:{server.server_address[1]}"
        yield sites
