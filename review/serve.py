"""Start the review server: check the address (loopback, or a token), the port, then serve with uvicorn."""

from __future__ import annotations

import socket

from newsalign.core.hosts import is_loopback
from newsalign.review.store import ReviewError

TOKEN_VAR = "NEWSALIGN_REVIEW_TOKEN"


def check_bind(host: str, port: int, token: str | None) -> None:
    """Refuse, in one line, a non-loopback address without a token, and a port already in use."""
    if not is_loopback(host) and not token:
        raise ReviewError(
            f"--host {host} is not loopback: anyone who reaches it could write labels; give --token TOKEN "
            f"(or ${TOKEN_VAR}) and open the page with #token=TOKEN"
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ReviewError(f"cannot listen on {host}:{port}: {exc.strerror} (pick another --port)") from None


def serve(app, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
