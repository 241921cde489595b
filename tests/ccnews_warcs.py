"""WARC files in CC-NEWS's shape for the CC-NEWS tests and bench: gzip per record, digests, our hosts'
pages (the demo sample, the shared fixtures) among other hosts', plus requests, revisits and non-HTML
responses; a loopback server in CC-NEWS's layout that counts requests and can answer Range."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import random
import shutil
import string
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsalign.demo.server import LoopbackServer

SAMPLE = Path(__file__).resolve().parents[1] / "newsalign" / "demo" / "sample"
BASES = {
    "bbc": "https://www.bbc.com",
    "guardian": "https://www.theguardian.com",
    "techcrunch": "https://techcrunch.com",
    "techradar": "https://www.techradar.com",
    "wccftech": "https://wccftech.com",
    "reuters": "https://www.reuters.com",
}


@dataclass(frozen=True)
class Page:
    source: str
    url: str
    html: bytes


def sample_pages() -> list[Page]:
    """The demo sample's HTML pages (articles and pages to reject), at their real sites' URLs."""
    pages = []
    for source, base in BASES.items():
        for path in sorted((SAMPLE / source).rglob("*.html")):
            if path.name.startswith("_"):
                continue
            rel = path.relative_to(SAMPLE / source).as_posix().removesuffix(".html")
            pages.append(Page(source, f"{base}/{rel}", path.read_bytes()))
    return pages


def fixture_pages(fixtures: Path) -> list[Page]:
    """The shared fixtures' real pages (`fundus/<source>/meta.info` names their URLs)."""
    import json

    pages = []
    for meta in sorted((fixtures / "fundus").glob("*/meta.info")):
        for name, info in json.loads(meta.read_text()).items():
            path = meta.parent / name.removesuffix(".gz")
            if path.exists() and meta.parent.name in BASES:
                pages.append(Page(meta.parent.name, info["url"], path.read_bytes()))
    return pages


def other_page(rng: random.Random, n: int, words: int = 600) -> Page:
    text = " ".join(rng.choice(("lorem", "ipsum", "dolor", "sit", "amet", "news", "city")) for _ in range(words))
    html = f"<html><head><title>Story {n}</title></head><body><article><p>{text}</p></article></body></html>"
    return Page("", f"https://news{n % 97}.example.org/story/{n}", html.encode())


class WarcBuilder:
    """Writes one gzip-per-record WARC file the way Common Crawl does (request, response, metadata)."""

    def __init__(self, path: Path, when: datetime = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)):
        self.path = path
        self.when = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._out = path.open("wb")
        self.writer = WARCWriter(self._out, gzip=True)

    def response(self, url: str, body: bytes, *, content_type: str = "text/html; charset=utf-8") -> None:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        rec = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=headers, warc_headers_dict={"WARC-Date": self.when}
        )
        self.writer.write_record(rec)

    def request(self, url: str) -> None:
        headers = StatusAndHeaders("GET / HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True)
        rec = self.writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=headers)
        self.writer.write_record(rec)

    def revisit(self, url: str) -> None:
        rec = self.writer.create_revisit_record(url, "sha1:AAAA", url, self.when)
        self.writer.write_record(rec)

    def close(self) -> Path:
        self._out.close()
        return self.path


def write_warc(path: Path, pages: list[Page], *, others: int = 0, seed: int = 0, words: int = 600) -> Path:
    """Our pages spread among `others` pages of other hosts (`words` long), each with its request record."""
    rng = random.Random(seed)
    entries = list(pages) + [other_page(rng, n, words) for n in range(others)]
    rng.shuffle(entries)
    builder = WarcBuilder(path)
    for page in entries:
        builder.request(page.url)
        builder.response(page.url, page.html)
    return builder.close()


@functools.cache
def _vocabulary(size: int = 5000) -> tuple[list[str], list[float]]:
    """Made-up words of 2-10 letters and Zipf weights (the k-th word drawn ~1/k as often), as prose has."""
    rng = random.Random(1)
    lengths = (2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.choice(lengths))) for _ in range(size)]
    return words, [1 / (k + 1) for k in range(size)]


def filler_page(rng: random.Random, n: int, size: int = 140_000) -> Page:
    """A page of another host shaped like a real news page in what decides reading speed: ~140 KB of HTML
    that gzip compresses ~6x (the shared fixtures' real pages: 4.9-7.3x, mean 6.0), so that 40,000 such
    responses make a ~1 GB file as CC-NEWS's are (~1.07 GB). Lines of the site's template (menus, teasers:
    the same 200 on every page of a site) with ~5% of the bytes prose."""
    words, weights = _vocabulary()
    site = random.Random(n % 97)
    common = words[:300]
    template = [
        f'<div class="{"-".join(site.choices(common, k=3))}"><a href="/{"/".join(site.choices(common, k=2))}"'
        f' class="{site.choice(common)}">{" ".join(site.choices(common, k=2))}</a></div>\n'
        for _ in range(200)
    ]
    parts = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Story {n}</title></head><body>']
    length = 0
    while length < size:
        if rng.random() < 0.05:
            part = f"<p>{' '.join(rng.choices(words, weights, k=rng.randint(30, 120)))}.</p>\n"
        else:
            part = rng.choice(template)
        parts.append(part)
        length += len(part)
    html = "".join(parts) + "</body></html>"
    return Page("", f"https://news{n % 97}.example.org/story/{n}", html.encode())


def write_big_warc(path: Path, pages: list[Page], *, responses: int, distinct: int = 100) -> Path:
    """`responses` responses (with their requests), our `pages` cycled through as 1% of them (each time at
    another URL, `?copy=N`, so that every one is parsed), the others' (`filler_page`) made once (`distinct`
    of them) and repeated: a file of realistic size and density, written fast."""
    rng = random.Random(0)
    pool = [_records(filler_page(rng, n)) for n in range(distinct)]
    with path.open("wb") as out:
        for n in range(responses):
            if n % 100 == 50:
                page = pages[(n // 100) % len(pages)]
                out.write(_records(Page(page.source, f"{page.url}?copy={n // 100 // len(pages)}", page.html)))
            else:
                out.write(pool[n % distinct])
    return path


def _records(page: Page) -> bytes:
    """A page's request and response records, gzipped one member each."""
    buffer = io.BytesIO()
    builder = WarcBuilder.__new__(WarcBuilder)
    builder.when, builder.writer = "2024-05-01T12:00:00Z", WARCWriter(buffer, gzip=True)
    builder.request(page.url)
    builder.response(page.url, page.html)
    return buffer.getvalue()


def corrupt_digest(path: Path, url: str) -> None:
    """Change one byte of the body of `url`'s response record, keeping its gzip member valid."""
    data = path.read_bytes()
    out, start = io.BytesIO(), 0
    for member in _members(data):
        raw = gzip.decompress(member)
        if b"WARC-Type: response" in raw and f"WARC-Target-URI: {url}\r\n".encode() in raw:
            cut = raw.index(b"\r\n\r\n", raw.index(b"\r\n\r\n") + 4) + 10
            raw = raw[:cut] + bytes([raw[cut] ^ 0x01]) + raw[cut + 1 :]
            member = gzip.compress(raw)
        out.write(member)
        start += 1
    path.write_bytes(out.getvalue())


def _members(data: bytes) -> list[bytes]:
    """The gzip members of a gzip-per-record file."""
    import zlib

    members, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        used = len(data) - pos - len(d.unused_data)
        members.append(data[pos : pos + used])
        pos += used
    return members


class ArchiveServer:
    """Serves a folder over loopback HTTP with Range support, counting GETs per path."""

    def __init__(self, root: Path, *, ranges: bool = True):
        self.root, self.ranges_supported = root, ranges
        self.requests: Counter[str] = Counter()
        self.fail_next: Counter[str] = Counter()  # path -> how many 503s to answer first
        self.cut_after: dict[str, int] = {}  # path -> drop the connection after this many bytes (once)
        self.hold: dict[str, tuple[int, threading.Event]] = {}  # path -> send this many bytes, then wait
        self.held = threading.Event()  # set once a held response has sent its first part
        self.ranges: list[tuple[str, str]] = []  # (path, Range header) of each ranged request
        handler = self._handler()
        self.httpd = LoopbackServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                server.requests[path] += 1
                file = server.root / path
                if server.fail_next[path] > 0:
                    server.fail_next[path] -= 1
                    self.send_error(503)
                    return
                if not file.is_file():
                    self.send_error(404)
                    return
                size = file.stat().st_size
                start = 0
                header = self.headers.get("Range")
                if header:
                    server.ranges.append((path, header))
                if header and server.ranges_supported:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(size - start))
                self.send_header("Accept-Ranges", "bytes" if server.ranges_supported else "none")
                self.end_headers()
                with file.open("rb") as body:
                    body.seek(start)
                    if path in server.hold:
                        first, release = server.hold.pop(path)
                        self.wfile.write(body.read(first))
                        self.wfile.flush()
                        server.held.set()
                        release.wait()
                    cut = server.cut_after.pop(path, None)
                    if cut is None:
                        shutil.copyfileobj(body, self.wfile, 1 << 20)
                    else:
                        self.wfile.write(body.read(cut))

        return Handler


def archive_path(root: Path, stamp: str, n: int) -> Path:
    """Where CC-NEWS keeps the file of `stamp` (YYYYMMDDhhmmss): crawl-data/CC-NEWS/YYYY/MM/CC-NEWS-...warc.gz."""
    path = root / f"crawl-data/CC-NEWS/{stamp[:4]}/{stamp[4:6]}/CC-NEWS-{stamp}-{n:05d}.warc.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_listings(root: Path) -> None:
    """Each month folder's `warc.paths.gz`, listing its files as paths from the archive's root."""
    for month in sorted(root.glob("crawl-data/CC-NEWS/*/*")):
        paths = sorted(p.relative_to(root).as_posix() for p in month.glob("CC-NEWS-*.warc.gz"))
        (month / "warc.paths.gz").write_bytes(gzip.compress("".join(p + "\n" for p in paths).encode()))
