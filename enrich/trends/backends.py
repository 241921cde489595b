"""Where series come from. A backend is anything with `name`, `delay` (seconds to wait between
requests) and `fetch(topics, start, end, geo) -> {topic: MonthlySeries}`: one request for up to five
topics, scaled together as Google compares them; it signals trouble with the three exceptions
below so the runner can back off, record, or stop. pytrends is unmaintained and often
blocked, so nothing else in newsalign imports it; SerpApi is the paid, robust option."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Protocol

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import api_key, scrub
from newsalign.enrich.trends.series import (
    MonthlySeries,
    SeriesError,
    from_frame,
    month_start,
    normalize_topic,
    timeframe,
)


class RateLimited(Exception):
    """Google answered 429: wait, then try the same request again."""


class Transient(Exception):
    """A network error or a 5xx: wait, then try the same request again."""


class TopicFailed(Exception):
    """This request cannot succeed as sent; recorded as an error row and retried on the next run."""


class TrendsBackend(Protocol):
    name: str
    delay: float

    def fetch(self, topics: Sequence[str], start: date, end: date, geo: str) -> dict[str, MonthlySeries]: ...


class PytrendsBackend:
    """Google Trends through pytrends: one `build_payload(kw_list=topics)` + `interest_over_time` per request."""

    name = "pytrends"

    def __init__(self, *, hl: str = "en-US", tz: int = 0, timeout: tuple[float, float] = (10, 30), delay: float = 1.0):
        self.hl, self.tz, self.timeout, self.delay = hl, tz, timeout, delay
        self._client = None

    def fetch(self, topics: Sequence[str], start: date, end: date, geo: str) -> dict[str, MonthlySeries]:
        import requests
        from pytrends.exceptions import ResponseError, TooManyRequestsError
        from pytrends.request import TrendReq

        try:
            if self._client is None:  # its constructor fetches a cookie from Google
                self._client = TrendReq(hl=self.hl, tz=self.tz, timeout=self.timeout)
            self._client.build_payload(list(topics), timeframe=timeframe(start, end), geo=geo)
            frame = self._client.interest_over_time()
        except TooManyRequestsError as exc:
            self._client = None  # a fresh cookie on the next try
            raise RateLimited(str(exc)) from exc
        except ResponseError as exc:
            status = exc.response.status_code
            if status == 429:
                self._client = None
                raise RateLimited(str(exc)) from exc
            if status >= 500:
                raise Transient(str(exc)) from exc
            raise TopicFailed(f"Google Trends answered {status} for {', '.join(topics)!r}") from exc
        except requests.RequestException as exc:
            self._client = None
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        except (KeyError, ValueError) as exc:  # an answer pytrends could not read
            raise TopicFailed(
                f"unreadable Trends answer for {', '.join(topics)!r}: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            return {topic: from_frame(frame, topic) for topic in topics}
        except SeriesError as exc:
            raise TopicFailed(str(exc)) from exc


class SerpApiBackend:
    """Google Trends through SerpApi's `google_trends` engine (paid; SerpApi handles Google's blocking).
    The key comes from $SERPAPI_API_KEY only, and is scrubbed from every message."""

    name = "serpapi"
    delay = 0.0
    KEY_ENV = "SERPAPI_API_KEY"

    def __init__(self, *, base_url: str = "https://serpapi.com/search.json", timeout: float = 60.0):
        if not api_key(self.KEY_ENV):
            raise NewsalignError(f"--backend serpapi needs a SerpApi key in ${self.KEY_ENV}")
        self.base_url, self.timeout = base_url, timeout

    def fetch(self, topics: Sequence[str], start: date, end: date, geo: str) -> dict[str, MonthlySeries]:
        import requests

        query = ",".join(topics)  # SerpApi compares comma-separated queries in one request
        params = {"engine": "google_trends", "q": query, "data_type": "TIMESERIES", "date": timeframe(start, end),
                  "geo": geo, "api_key": api_key(self.KEY_ENV) or ""}  # fmt: skip
        try:
            response = requests.get(self.base_url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Transient(scrub(f"{type(exc).__name__}: {exc}")) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        error = scrub(str(body.get("error"))) if isinstance(body, dict) and body.get("error") else None
        if response.status_code == 401:
            raise NewsalignError(f"SerpApi rejected the key in ${self.KEY_ENV} (401): check the variable")
        if response.status_code == 429:
            raise RateLimited(error or "SerpApi answered 429")
        if response.status_code >= 500:
            raise Transient(f"SerpApi answered {response.status_code}: {error or ''}")
        if not isinstance(body, dict):
            raise TopicFailed(f"SerpApi answered {response.status_code} with invalid JSON for {query!r}")
        if error:
            if "hasn't returned any results" in error:
                return {t: MonthlySeries() for t in topics}
            raise TopicFailed(f"SerpApi: {error} ({query!r})")
        try:
            return {t: from_serpapi(body, t) for t in topics}
        except (SeriesError, KeyError, TypeError, ValueError) as exc:
            raise TopicFailed(f"unreadable SerpApi answer for {query!r}: {exc}") from None


def from_serpapi(body: dict, topic: str) -> MonthlySeries:
    """`interest_over_time.timeline_data` (one point a month for ranges over five years) as a series."""
    points = (body.get("interest_over_time") or {}).get("timeline_data") or []
    months, values, partial = [], [], []
    for point in points:
        day = datetime.fromtimestamp(int(point["timestamp"]), timezone.utc).date()
        if day.day != 1:
            raise SeriesError("SerpApi answered with weekly or daily points; request a range over five years")
        value = next((v for v in point["values"] if normalize_topic(v["query"]) == normalize_topic(topic)), None)
        if value is None:
            raise SeriesError(f"no value for {topic!r} in the point of {day}")
        months.append(day)
        values.append(int(value["extracted_value"]))
        partial.append(bool(point.get("partial_data")))
    return MonthlySeries(months=tuple(months), values=tuple(values), partial=tuple(partial))


class CsvBackend:
    """A folder of Google Trends CSV exports ("multiTimeline.csv": Explore → Interest over time →
    Download), monthly (a range over five years), each of one to five compared terms. Worldwide
    exports lie in the folder itself, exports for a region in a sub-folder named by its geo code
    (DIR/US/). A request reads each topic from the export that compares exactly the requested
    topics if there is one, else from the export with the fewest terms holding it, and returns the
    months of its window that the export covers."""

    name = "csv"
    delay = 0.0

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise NewsalignError(f"--csv-dir {self.directory} is not a folder of Google Trends CSV exports")
        self._index: dict[tuple[str, str], list[tuple[frozenset[str], Path]]] | None = None

    def fetch(self, topics: Sequence[str], start: date, end: date, geo: str) -> dict[str, MonthlySeries]:
        wanted = frozenset(normalize_topic(t) for t in topics)
        result = {}
        for topic in topics:
            files = self.index().get((normalize_topic(topic), geo))
            if not files:
                where = self.directory / geo if geo else self.directory
                raise TopicFailed(
                    f"no CSV export for {topic!r} in {where}: download it from trends.google.com "
                    "(past 10+ years, monthly) into that folder, then run again"
                )
            file = next((f for terms, f in files if terms == wanted), files[0][1])
            chosen = [(m, v) for m, v in read_export(file)[normalize_topic(topic)] if month_start(start) <= m <= end]
            result[topic] = MonthlySeries(
                months=tuple(m for m, _ in chosen), values=tuple(v for _, v in chosen), partial=(False,) * len(chosen)
            )
        return result

    def index(self) -> dict[tuple[str, str], list[tuple[frozenset[str], Path]]]:
        """(topic, geo) → the exports holding it (their terms, file), fewest terms first; read from headers."""
        if self._index is None:
            self._index = {}
            for file in sorted(self.directory.glob("*.csv")) + sorted(self.directory.glob("*/*.csv")):
                geo = "" if file.parent == self.directory else file.parent.name
                terms = frozenset(read_export(file))
                for term in terms:
                    self._index.setdefault((term, geo), []).append((terms, file))
            for files in self._index.values():
                files.sort(key=lambda entry: len(entry[0]))
        return self._index


def read_export(file: Path) -> dict[str, list[tuple[date, int]]]:
    """Parse a multiTimeline.csv: a "Category: ..." line, a blank line, a header
    `Month,<term>: (<place>)[,<term>: (<place>)...]`, then `YYYY-MM,<value>,...` rows where "<1"
    means below 1 (stored as 0). Returns each (normalised) term's points."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except UnicodeDecodeError as exc:
        raise NewsalignError(
            f"{file}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); Google's download is "
            "UTF-8: download it again, or convert it (e.g. iconv -f UTF-16 -t UTF-8)"
        ) from None
    header_at = next((i for i, row in enumerate(rows) if row[0].strip() in ("Month", "Week", "Day")), None)
    if header_at is None:
        raise NewsalignError(
            f"{file}: not a Google Trends export (no 'Month,<term>' header line; first line: {','.join(rows[0])[:80]!r})"
            if rows
            else f"{file}: empty, not a Google Trends export"
        )
    header = rows[header_at]
    if header[0].strip() != "Month":
        raise NewsalignError(
            f"{file}: {header[0].strip().lower()}ly points; export a range over five years for monthly data"
        )
    terms = [normalize_topic(column.rsplit(": (", 1)[0]) for column in header[1:]]
    if not terms:
        raise NewsalignError(f"{file}: no search term in the header {','.join(header)!r}")
    points: dict[str, list[tuple[date, int]]] = {term: [] for term in terms}
    for row in rows[header_at + 1 :]:
        try:
            year, month = (int(part) for part in row[0].split("-"))
            values = [0 if cell.strip() == "<1" else int(cell) for cell in row[1:]]
            if len(values) != len(terms):
                raise ValueError
        except (ValueError, IndexError):
            raise NewsalignError(f"{file}: cannot read the row {','.join(row)!r}") from None
        for term, value in zip(terms, values):
            points[term].append((date(year, month, 1), value))
    return points


def make_backend(name: str, *, csv_dir: str | None = None) -> TrendsBackend:
    if name == "pytrends":
        return PytrendsBackend()
    if name == "serpapi":
        return SerpApiBackend()
    if name == "csv":
        if not csv_dir:
            raise NewsalignError("--backend csv needs --csv-dir DIR (a folder of Google Trends CSV exports)")
        return CsvBackend(csv_dir)
    raise NewsalignError(f"unknown backend {name!r}; use pytrends, serpapi or csv")
