"""Loopback HTTP stand-ins: a free port, one way to serve a handler on one, and a request log that can hold a site."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from newsalign.demo.server import LoopbackServer, RequestLog


def free_port() -> int:
    """A loopback port nothing listens on: a server may bind it, and a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yield the base URL (`http://127.0.0.1:PORT`); stop on exit.
    A module-scoped fixture around it shares one server among a module's tests."""
    server = LoopbackServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class HeldLog(RequestLog):
    """A `RequestLog` for `serve_sample` whose sites stop answering article pages (paths containing one of
    `markers`) after the first `answered` of a source until `release()`: a crawl stays mid-way until the
    test has acted on it, however fast or slow the machine is."""

    def __init__(self, answered: int, markers: tuple[str, ...] = ("/news/articles/",)) -> None:
        super().__init__()
        self.answered, self.markers = answered, markers
        self.released = threading.Event()

    def add(self, source: str, path: str, agent: str) -> None:
        super().add(source, path, agent)
        if any(marker in path for marker in self.markers) and len(self.articles(source)) > self.answered:
            self.released.wait(timeout=600)  # the request waits, unanswered, until release()

    def articles(self, source: str) -> list[str]:
        return [p for p in self.paths(source) if any(marker in p for marker in self.markers)]

    def held(self) -> bool:
        """Whether some site holds a request now (its crawl cannot finish before `release()`)."""
        sources = {source for source, _, _ in self.entries}
        return any(len(self.articles(source)) > self.answered for source in sources)

    def release(self) -> None:
        self.released.set()
