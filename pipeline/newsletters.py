"""Read newsletters (e-bilteni) into `Article`s with the standard library's `email` and `mailbox`: a
`.eml` file, a folder of them, or an mbox archive. One article per issue: the subject is the title, the
`Date` header the date, the HTML part's paragraphs (the parsers' own body rules; the plain-text part when
there is no HTML) the text, and the sender's domain the source, `newsletter:<domain>`. An issue has no
URL: its id is the hash of its source and text. A message that cannot be one (no date, no sender, no
readable body, an unknown charset, a part over `MAX_PART_BYTES`) is a `PageRejected` at stage `import`.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import lxml.etree
import lxml.html

from newsalign.core.errors import NewsalignError
from newsalign.crawler.items import Article, PageRejected
from newsalign.crawler.parsers.body import fallback, paragraphs

STAGE = "import"
MAX_PART_BYTES = 5 * 1024 * 1024  # a newsletter's body part larger than this is not an issue's text
EXTENSIONS = (".eml", ".mbox")


class NotAnIssue(Exception):
    """Why one message gives no article: `reason`, and the detail as the message."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def is_newsletters(path: str | Path) -> bool:
    """A folder, an `.eml` or an `.mbox` file: read by this module rather than as a dump."""
    path = Path(path)
    return path.is_dir() or path.suffix.lower() in EXTENSIONS


@dataclass
class Newsletters:
    """The messages of `path` (`.eml` file, folder of `.eml` files, or mbox archive)."""

    path: Path

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(where, raw message) for each message."""
        if self.path.is_dir():
            for file in sorted(self.path.rglob("*.eml")):
                yield file.relative_to(self.path).as_posix(), file.read_bytes()
        elif self.path.suffix.lower() == ".eml":
            yield self.path.name, self.path.read_bytes()
        else:
            box = mailbox.mbox(self.path, create=False)
            for n, key in enumerate(box.iterkeys(), start=1):
                yield f"{self.path.name}#{n}", box.get_bytes(key)

    def articles(self) -> Iterator[Article | PageRejected]:
        fetched_at = datetime.now(timezone.utc)
        for where, raw in self.messages():
            message = email.message_from_bytes(raw, policy=email.policy.default)
            try:
                yield issue(message, fetched_at)
            except NotAnIssue as exc:
                yield PageRejected(_source(message) or "newsletter", where, exc.reason, str(exc), STAGE)


def open_newsletters(path: str | Path) -> Newsletters:
    """Check that `path` holds messages; NewsalignError with one line if not."""
    path = Path(path)
    if not path.exists():
        raise NewsalignError(f"no such file or folder: {path}")
    if path.is_dir() and not any(path.rglob("*.eml")):
        raise NewsalignError(f"{path} holds no .eml files")
    if path.suffix.lower() == ".mbox":
        with path.open("rb") as file:
            if file.read(5) not in (b"From ", b""):
                raise NewsalignError(f"{path} is not an mbox archive (it must start with a 'From ' line)")
    return Newsletters(path)


def issue(message: EmailMessage, fetched_at: datetime) -> Article:
    """The article of one newsletter issue; NotAnIssue says why a message is none."""
    source = _source(message)
    if source is None:
        raise NotAnIssue("no_sender", f"no sender address in From: {_header(message, 'From')!r:.120}")
    return Article(
        id="",
        source=source,
        url=None,
        title=_header(message, "Subject"),
        date_published=_date(message),
        text="\n".join(_body(message)),
        fetched_at=fetched_at,
        page_type="Newsletter",
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "").strip()
    except (ValueError, LookupError, TypeError):  # an undecodable encoded word
        return ""


def _source(message: EmailMessage) -> str | None:
    _, address = email.utils.parseaddr(_header(message, "From"))
    domain = address.rpartition("@")[2].strip().lower()
    return f"newsletter:{domain}" if "@" in address and domain else None


def _date(message: EmailMessage) -> datetime:
    value = _header(message, "Date")
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise NotAnIssue("bad_date", f"Date: {value!r:.80} is not a date") from None
    return (date if date.tzinfo else date.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _body(message: EmailMessage) -> list[str]:
    """The paragraphs of the HTML part, else of the plain-text part."""
    part = message.get_body(preferencelist=("html", "plain"))
    if part is None:
        raise NotAnIssue("no_body", "no text/html or text/plain part")
    size = len(part.get_payload(decode=True) or b"")
    if size > MAX_PART_BYTES:
        raise NotAnIssue("too_large", f"{part.get_content_type()} part of {size:,} bytes (limit {MAX_PART_BYTES:,})")
    try:
        content = part.get_content()
    except LookupError as exc:
        raise NotAnIssue("bad_charset", f"{part.get_content_type()}: {exc}") from None
    if part.get_content_subtype() != "html":
        return [line.strip() for line in content.split("\n\n") if line.strip()]
    try:
        document = lxml.html.document_fromstring(content)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NotAnIssue("malformed", f"HTML part: {exc}") from None
    return paragraphs([document.body if document.body is not None else document]) or fallback(content, "")
