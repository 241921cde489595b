"""Parse time on hostile pages: a fixed corpus of mutated sample and fixture pages (tests/parser_fuzz.py),
each parsed once; prints the 99th-percentile and worst CPU time per page and the slowest pages.

Goal: no traceback, p99 < 1 s per page on a 2-core machine (issue 10).
"""

from __future__ import annotations

import time

from newsalign.crawler.parsers import parse_page
from tests.parser_fuzz import FIXTURES, corpus

PAGES = 600
SLOWEST = 5


def main() -> None:
    pages = corpus(PAGES)
    parse_page(*pages[0])  # warm up imports
    timings, failures = [], 0
    for index, (source, url, raw) in enumerate(pages):
        start = time.process_time()
        try:
            result = parse_page(source, raw, url)
            outcome = getattr(result, "reason", "article")
        except Exception as exc:  # counted, not raised: the bench reports every failure
            failures += 1
            outcome = f"TRACEBACK {type(exc).__name__}"
        timings.append((time.process_time() - start, index, source, len(raw), outcome))
    timings.sort()
    p99 = timings[int(0.99 * (len(timings) - 1))][0]
    print(f"pages: {len(pages)} mutated pages (fixtures {'included' if FIXTURES.exists() else 'absent'})")
    print(f"tracebacks: {failures}")
    print(
        f"parse CPU time per page: p99 {p99 * 1000:.0f} ms, worst {timings[-1][0] * 1000:.0f} ms (goal p99 < 1000 ms)"
    )
    for seconds, index, source, size, outcome in reversed(timings[-SLOWEST:]):
        print(f"  {seconds * 1000:7.0f} ms  #{index:<4d} {source:10s} {size:>10,d} bytes  {outcome}")
