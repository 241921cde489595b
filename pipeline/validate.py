"""Stage 1, validate: parser rejections become records; required fields, types and dates are checked.

Reasons (stage `parse`): whatever the parser said (`live_blog`, `bot_protection`, ...).
Reasons (stage `validate`): `not_an_article`, `missing_field`, `bad_type`, `empty_text`, `date_in_future`, `date_too_old`.
A missing `url` or `date_published` is accepted only when `NEWSALIGN_ALLOW_MISSING_URL_DATE` is on
(imports of dumps without links or dates); otherwise it is `missing_field`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from itemadapter import ItemAdapter, is_item

from newsalign.crawler.items import PageRejected
from newsalign.pipeline.rejects import Reject

STAGE = "validate"
REQUIRED_STR = ("source", "title")
OPTIONAL_STR = ("section", "language", "page_type")
STR_LISTS = ("authors", "tags")
DATES = ("date_published", "fetched_at")
# Clock skew and time-zone slips by sites: dates up to a day ahead are accepted.
FUTURE_TOLERANCE = timedelta(days=1)


class ValidatePipeline:
    def __init__(self, settings, writer=None):
        self.min_year = settings.getint("NEWSALIGN_MIN_YEAR", 1990)
        self.allow_missing = settings.getbool("NEWSALIGN_ALLOW_MISSING_URL_DATE", False)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    def process_item(self, item):
        if isinstance(item, PageRejected):
            raise Reject(item.stage, item.reason, item.detail)
        if not is_item(item):
            raise Reject(STAGE, "not_an_article", f"got a {type(item).__name__}")
        adapter = ItemAdapter(item)
        for name in REQUIRED_STR:
            if not adapter.get(name):
                raise Reject(STAGE, "missing_field", name)
        for name in ("url", "date_published"):
            if adapter.get(name) is None and not self.allow_missing:
                raise Reject(STAGE, "missing_field", name)
        text = adapter.get("text")
        if not isinstance(text, str):
            raise Reject(STAGE, "missing_field" if text is None else "bad_type", f"text is {type(text).__name__}")
        if not text.strip():
            raise Reject(STAGE, "empty_text")
        for name in REQUIRED_STR + OPTIONAL_STR + ("url",):
            _check_type(adapter, name, str)
        for name in STR_LISTS:
            value = adapter.get(name)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise Reject(STAGE, "bad_type", f"{name} must be a list of strings, got {value!r:.80}")
        for name in DATES:
            value = _check_type(adapter, name, datetime)
            if value is not None and value.tzinfo is None:
                raise Reject(STAGE, "bad_type", f"{name} has no time zone: {value.isoformat()}")
        self._check_date(adapter.get("date_published"))
        return item

    def _check_date(self, published: datetime | None) -> None:
        if published is None:
            return
        if published > datetime.now(timezone.utc) + FUTURE_TOLERANCE:
            raise Reject(STAGE, "date_in_future", published.isoformat())
        if published.year < self.min_year:
            raise Reject(STAGE, "date_too_old", f"{published.isoformat()} is before NEWSALIGN_MIN_YEAR={self.min_year}")


def _check_type(adapter: ItemAdapter, name: str, kind: type):
    value = adapter.get(name)
    if value is not None and not isinstance(value, kind):
        raise Reject(STAGE, "bad_type", f"{name} must be {kind.__name__}, got {type(value).__name__} {value!r:.80}")
    return value
