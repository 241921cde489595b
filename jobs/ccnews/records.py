"""Our sources' pages out of one WARC stream (FastWARC): the host of each response's target URI is
looked up before anything of the record is decoded; only our hosts' HTML responses are verified
(block digest), HTTP-parsed and read. A file cut inside a gzip member, which FastWARC (like warcio)
reads up to the cut in silence, is detected from the bytes after the last record's start (`TailCheck`)."""

from __future__ import annotations

import io
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from fastwarc.warc import ArchiveIterator, WarcRecordType  # pyright: ignore[reportMissingModuleSource]  (native: stubs only)

from newsalign.core.errors import NewsalignError
from newsalign.crawler.items import PageRejected

STAGE = "ccnews"


class CorruptFile(NewsalignError):
    """A WARC file that cannot be read to its end (cut, not gzip, not WARC)."""


@dataclass(frozen=True)
class Capture:
    """One response of our hosts: what `parse_page` needs, and when Common Crawl fetched it."""

    source: str
    url: str
    html: bytes
    captured: datetime | None


def host_sources(sources: list[str]) -> dict[str, str]:
    """host -> source, for every host the chosen sources' spiders accept (www.bbc.com and www.bbc.co.uk, ...)."""
    from scrapy.spiderloader import SpiderLoader

    from newsalign.crawler.config import crawl_settings

    loader = SpiderLoader.from_settings(crawl_settings())
    known = loader.list()
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise NewsalignError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return {host.lower(): source for source in sources for host in loader.load(source).hosts()}


class TailCheck(io.RawIOBase):
    """A pass-through reader that keeps the compressed bytes from the latest record's start, so that
    after the last record `check_end()` can tell a complete file from one cut inside a gzip member."""

    def __init__(self, raw):
        self.raw = raw
        self.pos = 0  # bytes read so far
        self.tail = bytearray()
        self.tail_start = 0  # file offset of tail[0]

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.tail += memoryview(buffer)[:n]
            self.pos += n
        return n or 0

    def mark(self, offset: int) -> None:
        """A record starts at `offset`: the bytes before it are whole records."""
        if offset > self.tail_start:
            del self.tail[: offset - self.tail_start]
            self.tail_start = offset

    def check_end(self) -> None:
        """Raise CorruptFile unless the bytes from the last record's start are whole gzip members."""
        data = bytes(self.tail)
        while data:
            member = zlib.decompressobj(31)
            try:
                member.decompress(data)
            except zlib.error as exc:
                raise CorruptFile(f"not gzip at byte {self.pos - len(data)}: {exc}") from None
            if not member.eof:
                raise CorruptFile(f"truncated: the file ends inside the record at byte {self.pos - len(data)}")
            data = member.unused_data


def host_of(url: str) -> str:
    """The lowercased host of an absolute URL, as `urlsplit(url).hostname` gives it (empty when none). Written
    out because it runs on every response record of a file, where urlsplit's whole parse cost a tenth of
    the reading time; only the host decides whether a record is ours."""
    _, separator, rest = url.partition("://")
    if not separator:
        rest = url[2:] if url.startswith("//") else ""
    for end in "/?#":
        rest = rest.partition(end)[0]
    host = rest.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    return host.partition(":")[0].lower()


def captures(stream, hosts: dict[str, str], counts: Counter) -> Iterator[Capture | PageRejected]:
    """Our hosts' HTML responses in `stream` (a binary reader of a .warc.gz), a `PageRejected` for one
    whose block digest is wrong; `counts` gets records, ours, skipped (our hosts' non-HTML or non-200).
    CorruptFile when the file is cut or unreadable."""
    checked = TailCheck(stream)
    try:
        for record in ArchiveIterator(checked, parse_http=False, stream_detect=True):
            checked.mark(record.stream_pos)
            counts["records"] += 1
            if record.record_type != WarcRecordType.response:
                continue
            url = record.headers.get("WARC-Target-URI") or ""
            source = hosts.get(host_of(url))
            if source is None:
                continue
            counts["ours"] += 1
            yield from _ours(record, source, url, counts)
    except OSError as exc:
        raise CorruptFile(f"unreadable at byte {checked.pos}: {exc}") from None
    checked.check_end()


def _ours(record, source: str, url: str, counts: Counter) -> Iterator[Capture | PageRejected]:
    if record.headers.get("WARC-Block-Digest") and not record.verify_block_digest():
        counts["bad_digest"] += 1
        yield PageRejected(source, url, "bad_digest", f"WARC record {record.record_id}: block digest mismatch", STAGE)
        return
    record.parse_http()
    status = record.http_headers.status_code if record.http_headers else None
    if status != 200 or "html" not in (record.http_content_type or ""):
        counts["skipped"] += 1
        return
    yield Capture(source, url, record.reader.read(), record.record_date)
