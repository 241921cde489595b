"""The loopback server of the demo and the tests (`newsalign.demo.server.LoopbackServer`): a client that drops its
connection mid-request is not an error the server prints (it landed on the output of the command under test and
was counted as the command's); an error of the server's own still is."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from newsalign.demo.server import LoopbackServer


class Failing(BaseHTTPRequestHandler):
    """Signals `reading` as it starts on a request; a whole GET fails with the server's own bug."""

    reading = threading.Event()

    def handle(self) -> None:
        Failing.reading.set()
        super().handle()

    def do_GET(self) -> None:
        raise ValueError("the stand-in's own bug")


class Watched(LoopbackServer):
    """Sets `handled` once `handle_error` has run for a request (its thread is done with stderr)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Failing)
        self.handled = threading.Event()

    def handle_error(self, request, client_address) -> None:
        try:
            super().handle_error(request, client_address)
        finally:
            self.handled.set()


@contextmanager
def running() -> Iterator[Watched]:
    Failing.reading.clear()
    server = Watched()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_that_resets_its_connection_mid_request_prints_nothing(capsys):
    with running() as server, socket.create_connection(server.server_address) as client:
        client.sendall(b"GET / HT")  # a request line cut short: the server waits for the rest
        assert Failing.reading.wait(10)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # with a linger of 0: a reset, as a cancelled request's connection is dropped
        assert server.handled.wait(10)
    assert capsys.readouterr().err == ""


def test_an_error_of_the_servers_own_is_still_printed(capsys):
    with running() as server, socket.create_connection(server.server_address) as client:
        client.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert server.handled.wait(10)
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: the stand-in's own bug" in err
