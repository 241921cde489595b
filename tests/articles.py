"""A parsed `Article` as the pipeline receives it, for pipeline tests (in-process and in a subprocess)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from newsalign.crawler.items import Article

NOW = datetime.now(timezone.utc)
BODY = (
    "The central bank raised interest rates again on Tuesday, surprising markets and economists who had "
    "expected a pause. Officials said inflation remained too high and that further increases could follow "
    "if prices kept rising faster than wages across the largest economies in the region this year."
)


def article(url="https://www.bbc.co.uk/news/a-1", text=BODY, **kw) -> Article:
    fields = dict(
        id="parser-id", source="bbc", url=url, title="Rates rise", date_published=NOW - timedelta(days=1), text=text
    )
    fields.update(kw)
    return Article(**fields)
