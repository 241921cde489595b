"""One remote file read as a stream, never whole in memory: retries with backoff on 5xx/429 and on a
dropped connection, resuming with a Range request at the byte reached (a server that ignores Range
makes a dropped file fail: it cannot be resumed without reading it again)."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import requests
import urllib3.exceptions

from newsalign.core.errors import NewsalignError

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
DROPPED = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
)


class FetchFailed(NewsalignError):
    """A file that could not be fetched (HTTP error, retries used up, no resume possible); `status`: the
    HTTP status that ended it, if one did."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Retries:
    """How often and how patiently to retry: `attempts` tries per file, `backoff` seconds doubling."""

    attempts: int = 6
    backoff: float = 2.0
    timeout: float = 60.0

    def wait(self, attempt: int) -> None:
        time.sleep(self.backoff * 2 ** (attempt - 1))


def get(session: requests.Session, url: str, retries: Retries, *, headers: dict | None = None) -> requests.Response:
    """GET `url` streamed, retrying 5xx/429 and connection errors; FetchFailed for anything else."""
    for attempt in range(1, retries.attempts + 1):
        try:
            response = session.get(url, headers=headers, stream=True, timeout=retries.timeout)
        except DROPPED as exc:
            problem = f"{type(exc).__name__}"
        else:
            if response.status_code not in RETRY_STATUS:
                if response.status_code >= 400:
                    response.close()
                    raise FetchFailed(f"HTTP {response.status_code} for {url}", response.status_code)
                return response
            problem = f"HTTP {response.status_code}"
            response.close()
        if attempt < retries.attempts:
            retries.wait(attempt)
    raise FetchFailed(f"{problem} for {url} after {retries.attempts} tries")


class RemoteFile(io.RawIOBase):
    """A binary reader over `url`; `reconnects` counts the Range requests it needed."""

    def __init__(self, session: requests.Session, url: str, retries: Retries):
        self.session, self.url, self.retries = session, url, retries
        self.pos = 0
        self.size: int | None = None
        self.reconnects = 0
        self._response = self._open()

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer) -> int:
        for attempt in range(1, self.retries.attempts + 1):
            try:
                n = self._response.raw.readinto(buffer)
            except DROPPED:
                n = None
            if n or (n == 0 and (self.size is None or self.pos >= self.size)):
                self.pos += n
                return n
            if attempt < self.retries.attempts:
                self.retries.wait(attempt)
            self._response.close()
            self.reconnects += 1
            self._response = self._open()
        raise FetchFailed(f"connection to {self.url} dropped at byte {self.pos} {self.retries.attempts} times")

    def _open(self) -> requests.Response:
        headers = {"Range": f"bytes={self.pos}-"} if self.pos else None
        response = get(self.session, self.url, self.retries, headers=headers)
        if self.pos and response.status_code != 206:
            response.close()
            raise FetchFailed(f"connection to {self.url} dropped at byte {self.pos} and the server ignores Range")
        if self.size is None and "Content-Length" in response.headers:
            self.size = int(response.headers["Content-Length"])
        response.raw.decode_content = False
        return response

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class Tee(io.RawIOBase):
    """A reader that also writes what it reads to `path` + '.part', renamed to `path` by `keep()`; closed
    without `keep()` (the file failed), the part is removed."""

    def __init__(self, raw, path):
        self.raw, self.path = raw, path
        self.part = path.with_name(path.name + ".part")
        self.out = self.part.open("wb")

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.out.write(memoryview(buffer)[:n])
        return n

    def keep(self) -> None:
        self.out.close()
        self.part.replace(self.path)

    def close(self) -> None:
        self.out.close()
        self.part.unlink(missing_ok=True)
        self.raw.close()
        super().close()
