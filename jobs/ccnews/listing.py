"""The WARC files of a window: each month's `crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz`, filtered by the
timestamp in each file's name (`CC-NEWS-20240501123456-00012.warc.gz`), so no file outside the window
is ever requested."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import urljoin

import requests

from newsalign.jobs.ccnews.stream import FetchFailed, Retries, get

DEFAULT_SERVER = "https://data.commoncrawl.org/"
FIRST_MONTH = date(2016, 8, 1)  # CC-NEWS starts in August 2016
_STAMP = re.compile(r"CC-NEWS-(\d{14})-")


def months(since: date, until: date) -> Iterator[date]:
    """The first day of every month from `since`'s to `until`'s (not before CC-NEWS began)."""
    month = max(since, FIRST_MONTH).replace(day=1)
    while month <= until:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


def file_time(path: str) -> datetime | None:
    """When the file's crawl started, from its name; None for a name without the stamp."""
    found = _STAMP.search(path)
    return datetime.strptime(found.group(1), "%Y%m%d%H%M%S") if found else None


def in_window(paths: list[str], since: date, until: date) -> list[str]:
    return [p for p in paths if (t := file_time(p)) is not None and since <= t.date() <= until]


def month_paths(session: requests.Session, server: str, month: date, retries: Retries) -> list[str] | None:
    """The paths in the month's listing; None when there is none (a gap, or not published yet)."""
    url = urljoin(server, f"crawl-data/CC-NEWS/{month:%Y/%m}/warc.paths.gz")
    try:
        response = get(session, url, retries)
    except FetchFailed as exc:
        if exc.status == 404:
            return None
        raise
    with response:
        text = gzip.decompress(response.content).decode()
    return [line.strip() for line in text.splitlines() if line.strip()]


def window_files(session: requests.Session, server: str, since: date, until: date, retries: Retries, warn) -> list[str]:
    """Every file path of the window, in time order; `warn(line)` for a month without a listing."""
    paths = []
    for month in months(since, until):
        listed = month_paths(session, server, month, retries)
        if listed is None:
            warn(f"no CC-NEWS listing for {month:%Y-%m} (a gap in the archive, or not published yet)")
            continue
        paths += in_window(listed, since, until)
    return sorted(paths, key=lambda p: (file_time(p), p))
