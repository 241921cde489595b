"""Parse throughput and body quality on the real saved pages (../shared/fixtures): ours vs trafilatura.

Both get the same raw bytes and URL. Speed is pages per CPU-second of one process (= pages/s per core;
CPU time, so other load on the machine does not skew it), best of a few rounds. Quality is the mean
shingle F1 (tests/parser_quality.py) of each body against the expected bodies, and how many of
trafilatura's own must / must-not snippets each one gets right; F1 is also reported separately for the
pages our site rules parsed and the pages that needed the trafilatura fallback.
"""

from __future__ import annotations

import time
from pathlib import Path
from statistics import mean

from newsalign.crawler.items import Article
from newsalign.crawler.parsers import parse_page
from tests.parser_quality import fixture_cases, shingle_f1

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
ROUNDS = 3


def _throughput(fn, pages) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        for page in pages:
            fn(page)
        best = min(best, time.process_time() - start)
    return len(pages) / best


def main() -> None:
    import trafilatura

    if not FIXTURES.exists():
        print(f"skipped: needs the shared fixtures at {FIXTURES}")
        return
    cases = [c for c in fixture_cases(FIXTURES) if not c.rejected]
    pages = [(c, c.path.read_bytes()) for c in cases]

    def ours(item):
        case, raw = item
        return parse_page(case.source, raw, case.url)

    def theirs(item):
        case, raw = item
        return trafilatura.extract(raw, url=case.url) or ""

    ours(pages[0]), theirs(pages[0])  # warm up imports and caches
    ours_rate, theirs_rate = _throughput(ours, pages), _throughput(theirs, pages)

    f1_ours, f1_theirs, snippets_ours, snippets_theirs, n_snippets = [], [], 0, 0, 0
    by_rule: dict[str, list[tuple[float, float]]] = {"site rules": [], "fallback": []}
    for item in pages:
        case = item[0]
        rules: dict[str, str] = {}
        result = parse_page(case.source, item[1], case.url, rules=rules)
        rule = "fallback" if "fallback" in rules.get("text", "") else "site rules"
        text_ours = result.text if isinstance(result, Article) else ""
        text_theirs = theirs(item)
        if case.body:
            f1_ours.append(shingle_f1(text_ours, case.body))
            f1_theirs.append(shingle_f1(text_theirs, case.body))
            by_rule[rule].append((f1_ours[-1], f1_theirs[-1]))
            print(f"  {case.name[:60]:60s} F1 ours {f1_ours[-1]:.3f}  trafilatura {f1_theirs[-1]:.3f}  ({rule})")
        for snippet in case.must:
            n_snippets += 1
            snippets_ours += snippet in text_ours
            snippets_theirs += snippet in text_theirs
        for snippet in case.must_not:
            n_snippets += 1
            snippets_ours += snippet not in text_ours
            snippets_theirs += snippet not in text_theirs

    print(
        f"pages: {len(pages)} real article pages, {len(f1_ours)} with an expected body, {n_snippets} must/must-not snippets"
    )
    print(
        f"ours        {ours_rate:8.1f} pages/s per core   mean body F1 {mean(f1_ours):.3f}   snippets {snippets_ours}/{n_snippets}"
    )
    print(
        f"trafilatura {theirs_rate:8.1f} pages/s per core   mean body F1 {mean(f1_theirs):.3f}   snippets {snippets_theirs}/{n_snippets}"
    )
    for rule, scores in by_rule.items():
        f1 = f"F1 ours {mean(o for o, _ in scores):.3f}  trafilatura {mean(t for _, t in scores):.3f}" if scores else ""
        print(f"  {rule:10s} {len(scores)} pages with an expected body {f1}")
    print(f"speed ratio ours/trafilatura: {ours_rate / theirs_rate:.2f}x (goal >= 1.5x at >= its F1)")
