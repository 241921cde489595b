"""A synthetic news page (JSON-LD, byline, paragraphs) for parser and pipeline tests."""

from __future__ import annotations

import json

BODY = "".join(
    f"<p>Paragraph {i} says the quarterly results beat what analysts had expected for the chip maker.</p>"
    for i in range(8)
)


def page(
    body: str = BODY,
    *,
    lang: str = "en",
    title: str = "Chip maker beats forecasts",
    jsonld: str | None = None,
    head: str = "",
) -> str:
    if jsonld is None:
        jsonld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": title,
                "datePublished": "2024-05-01T08:30:00+02:00",
                "author": {"@type": "Person", "name": "By Ada Lovelace"},
                "keywords": ["Chips", "Earnings"],
            }
        )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} | The Guardian</title>'
        f'<meta property="og:type" content="article"><meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="2024-05-01T06:30:00Z">'
        f'<script type="application/ld+json">{jsonld}</script>{head}</head>'
        f'<body><main><article><h1>{title}</h1><div id="maincontent"><div class="article-body-commercial-selector">{body}</div></div></article></main></body></html>'
    )


URL = "https://www.theguardian.com/business/2024/may/01/chip-maker-beats-forecasts"
