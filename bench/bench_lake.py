"""Many writers on one lake: five `scrapy crawl` processes at once into one warehouse against the same five
one after another, on the crawl_all bench's loopback sites (each on its own address, each allowing one
request a second, the project's default delay, the spiders set to that allowance); meanwhile a reader process runs
`SELECT count(*) FROM articles` in a loop, and its latency and refusals are counted. Same rows both ways.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.bench_crawl_all import SITES, Clock, build_sites, polite, serve
from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
PAGES = 30
INTERVAL = 1.0  # the project's default DOWNLOAD_DELAY: one request a second per site
GOAL_SPEEDUP, GOAL_MEDIAN = 4.0, 1.0
READER = """
import sys, time
from newsalign.warehouse import connect
db, stop = sys.argv[1], sys.argv[2]
import os
while not os.path.exists(stop):
    start = time.perf_counter()
    try:
        with connect(db, read_only=True) as con:
            con.execute("SELECT count(*) FROM articles").fetchall()
        print(f"ok {time.perf_counter() - start:.4f}", flush=True)
    except Exception as exc:
        print(f"refused {type(exc).__name__}: {str(exc)[:80]}", flush=True)
    time.sleep(0.05)
"""


def scrapy_crawl(source: str, url: str, db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        source,
        "-a",
        f"site={url}",
        "-s",
        f"NEWSALIGN_DB={db}",
        *polite(INTERVAL),
    ]


def run(together: bool, root: Path, workdir: Path) -> dict:
    db = workdir / ("together" if together else "apart")
    with connect(db):  # the lake exists before the crawls and the reader start
        pass
    stop = workdir / f"stop-{together}"
    with ExitStack() as stack:
        sites = serve(stack, root, Clock(INTERVAL))
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(db), str(stop)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        start = time.monotonic()
        if together:
            crawls = [subprocess.Popen(scrapy_crawl(s, u, db), cwd=ROOT) for s, u in sites.items()]
            codes = [c.wait(timeout=1800) for c in crawls]
        else:
            codes = [
                subprocess.run(scrapy_crawl(s, u, db), cwd=ROOT, timeout=1800).returncode for s, u in sites.items()
            ]
        wall = time.monotonic() - start
        stop.touch()
        lines = reader.communicate(timeout=120)[0].splitlines()
    assert codes == [0] * len(codes), codes
    with connect(db, read_only=True) as con:
        stored = sorted(con.execute("SELECT source, url FROM v_articles_clean").fetchall())
    latencies = [float(line.split()[1]) for line in lines if line.startswith("ok ")]
    refused = [line for line in lines if line.startswith("refused")]
    return {"wall": wall, "stored": stored, "latencies": latencies, "refused": refused}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sites"
        build_sites(root, PAGES)
        apart, together = run(False, root, Path(tmp)), run(True, root, Path(tmp))
    assert apart["stored"] == together["stored"], "the two ways stored different rows"
    print(f"{len(SITES)} sources x {PAGES} articles, {len(together['stored'])} rows either way (the same rows)")
    for name, r in (("one after another", apart), ("five processes at once", together)):
        lat = r["latencies"]
        print(
            f"{name:<22} {r['wall']:6.1f} s; reader: {len(lat)} counts, median {statistics.median(lat) * 1000:.0f} ms, "
            f"p95 {statistics.quantiles(lat, n=20)[-1] * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms, {len(r['refused'])} refused"
        )
    speedup = apart["wall"] / together["wall"]
    median = statistics.median(together["latencies"])
    print(
        f"at once is {speedup:.2f}x faster (goal >= {GOAL_SPEEDUP}x): {'met' if speedup >= GOAL_SPEEDUP else 'MISSED'}"
    )
    print(
        f"reader median while five crawls write: {median * 1000:.0f} ms (goal < {GOAL_MEDIAN * 1000:.0f} ms, no refusal): "
        f"{'met' if median < GOAL_MEDIAN and not together['refused'] else 'MISSED'}"
    )
