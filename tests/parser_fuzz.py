"""Hostile mutations of real-looking pages, for the fuzz test (tests/test_parser_fuzz.py) and the fuzz bench
(bench/bench_parse_fuzz.py): the demo sample's pages and, when present, ../shared/fixtures, each cut,
spliced or given one of the constructs that once raised or stalled the parser."""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "newsalign" / "demo" / "sample"
FIXTURES = ROOT.parent / "shared" / "fixtures"
SOURCES = ("bbc", "guardian", "techcrunch", "techradar", "wccftech", "reuters")


def sample_pages() -> list[tuple[str, str, bytes]]:
    """(source, url, raw bytes) of every page of the demo sample."""
    seeds = []
    for path in sorted(SAMPLE.rglob("*.html")):
        source = path.relative_to(SAMPLE).parts[0]
        seeds.append((source, f"https://example.{source}/{path.relative_to(SAMPLE / source)}", path.read_bytes()))
    return seeds


def fixture_pages() -> list[tuple[str, str, bytes]]:
    """(source, url, raw bytes) of the shared fixture pages; none when ../shared is absent."""
    seeds = []
    for path in sorted(FIXTURES.rglob("*.html")) if FIXTURES.exists() else []:
        source = next((s for s in SOURCES if s in str(path).lower()), None)
        if source:
            seeds.append((source, f"https://example.{source}/{path.name}", path.read_bytes()))
    return seeds


def _ld(value: str) -> str:
    return f'<script type="application/ld+json">{value}</script>'


# Each one once gave a traceback or a stall (issue 10), or is a near relative of one that did.
HOSTILE = (
    _ld("[" * 100_000 + "]" * 100_000),
    _ld('{"a":' * 5_000 + "1" + "}" * 5_000),
    _ld('{"@type":"NewsArticle","headline":"Chip\\ud800 maker","author":{"name":"Ada\\udfff"},"keywords":["\\ud83d"]}'),
    _ld('{"@type":"NewsArticle","datePublished":"2024-05-01T08:30:00+99:00","dateModified":"9999-99-99"}'),
    _ld(json.dumps({"@type": "NewsArticle", "headline": "h" * 2_000_000})),
    _ld('{"@graph":' + "[" * 500 + '{"@type":"NewsArticle"}' + "]" * 500 + "}"),
    '<meta property="article:published_time" content="2024-05-01T08:30:00+99:00">',
    '<meta property="article:published_time" content="' + "2024-05-01 " * 100_000 + '">',
    '<meta property="og:title" content="' + "word " * 200_000 + '">',
    '<link rel="canonical" href="http://[::1"><meta property="og:url" content="http://[::1">',
    "<p " + " ".join(f'a{i}="x"' for i in range(200_000)) + ">attributes</p>",
    "<div>" * 20_000 + "deep" + "</div>" * 20_000,
    "<time datetime='2024-13-45T99:99:99+99:00'>+99:00</time>",
    "\x00\ud800\udfff&#xD800;&#0;&#x110000;\ufffe",
    "<title>" + "t" * 1_000_000 + "</title>",
)
URLS = ("http://[::1", "", "not a url", "https://example.com/" + "a" * 10_000)


def mutate(seed: tuple[str, str, bytes], rng: random.Random) -> tuple[str, str, bytes]:
    """One mutation of a seed page: a hostile construct spliced in, a cut, a deleted span or garbage bytes."""
    source, url, raw = seed
    at = rng.randrange(len(raw) + 1)
    kind = rng.randrange(6)
    if kind <= 1:
        raw = raw[:at] + rng.choice(HOSTILE).encode("utf-8", "surrogatepass") + raw[at:]
    elif kind == 2:
        raw = raw[:at]
    elif kind == 3:
        raw = raw[:at] + raw[at + rng.randrange(1, 50_000) :]
    elif kind == 4:
        raw = raw[:at] + rng.randbytes(rng.randrange(1, 200)) + raw[at:]
    else:
        url = rng.choice(URLS)
    return source, url, raw


def corpus(size: int, seed: int = 10) -> list[tuple[str, str, bytes]]:
    """`size` mutated pages of the sample and fixture pages, the same ones for the same seed."""
    rng, seeds = random.Random(seed), sample_pages() + fixture_pages()
    return [mutate(rng.choice(seeds), rng) for _ in range(size)]
