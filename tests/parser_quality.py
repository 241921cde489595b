"""Measuring parser quality against reference outputs: the shingle F1, and the reference cases in
`../shared/fixtures` (used by tests/test_parsers.py and bench/bench_parse.py).

Shingle F1: both texts are lower-cased and split into word tokens (`\\w+`, so punctuation, quotes and
whitespace do not count); each text becomes the multiset of its word 3-grams ("shingles"). With
overlap = the size of the multiset intersection, precision = overlap / |extracted|, recall =
overlap / |expected| and F1 = 2PR / (P + R). Two empty texts score 1.0, one empty text 0.0.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsalign.core.dates import parse_date

_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 3) -> Counter:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def shingle_f1(extracted: str, expected: str, n: int = 3) -> float:
    """F1 of word n-gram shingles (n=3) between an extracted and an expected text."""
    got, want = shingles(extracted, n), shingles(expected, n)
    if not got and not want:
        return 1.0
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class Case:
    """One saved page and what a correct parse of it must give (None = not checked)."""

    name: str
    source: str
    path: Path
    url: str
    title: str | None = None
    date: datetime | None = None
    date_precision: str = "second"  # "second" or "day"
    authors: list[str] | None = None
    body: str | None = None
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    rejected: str | None = None  # the expected PageRejected reason


def fundus_body(body: dict) -> str:
    """A fundus body `{summary, sections: [{headline, paragraphs}]}` as text, in order."""
    parts = list(body.get("summary", []))
    for section in body.get("sections", []):
        parts += section.get("headline", []) + section.get("paragraphs", [])
    return "\n\n".join(parts)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("V").split("_"))


def fixture_cases(root: Path) -> list[Case]:
    """Every reference page under `root` (= ../shared/fixtures) with its expected output.

    fundus JSON holds one expected output per parser version; as in fundus, versions (V1 < V1_1 < V2)
    are matched in order with the folder's pages sorted by crawl date (meta.info).
    """
    cases: list[Case] = []
    for expected_file in sorted(root.glob("fundus/**/*.json")):
        folder = expected_file.parent
        source = folder.parent.name if folder.name.startswith("history_") else folder.name
        info = json.loads((folder / "meta.info").read_text())
        pages = sorted(info.items(), key=lambda kv: kv[1]["crawl_date"])
        expected = json.loads(expected_file.read_text())
        for version, (gz_name, page) in zip(sorted(expected, key=_version_key), pages):
            want = expected[version]
            path = folder / gz_name.removesuffix(".gz")
            case = Case(
                name=str(path.relative_to(root)),
                source=source,
                path=path,
                url=page["url"],
                title=want["title"],
                date=parse_date(want["publishing_date"]),
                authors=want["authors"],
                body=fundus_body(want["body"]) if "body" in want else None,
            )
            if "/live/" in page["url"]:
                case.rejected = "live_blog"
            cases.append(case)

    for evaldata in sorted(root.glob("trafilatura/*/evaldata.json")):
        for url, want in json.loads(evaldata.read_text()).items():
            path = evaldata.parent / want["file"]
            cases.append(
                Case(
                    name=str(path.relative_to(root)),
                    source=evaldata.parent.name,
                    path=path,
                    url=url,
                    title=want["title"],
                    date=parse_date(want["date"]),
                    date_precision="day",
                    authors=[want["author"]] if want["author"] else None,  # "" = trafilatura found none: not checked
                    must=want["with"],
                    must_not=want["without"],
                )
            )

    for expected_file in sorted(root.glob("goose3/*/*.json")):
        want = json.loads(expected_file.read_text())
        path = expected_file.with_suffix(".html")
        cases.append(
            Case(
                name=str(path.relative_to(root)),
                source=expected_file.parent.name,
                path=path,
                url=want["url"],
                body=want["expected"]["cleaned_text"],
            )
        )

    for truth_file in sorted(root.glob("article-extraction-benchmark/*/ground-truth.json")):
        for key, want in json.loads(truth_file.read_text()).items():
            path = truth_file.parent / f"{key}.html"
            cases.append(
                Case(
                    name=str(path.relative_to(root)),
                    source=truth_file.parent.name,
                    path=path,
                    url=want["url"],
                    body=want["articleBody"],
                )
            )
    return cases
