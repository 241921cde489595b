"""Crawl benchmark: a loopback crawl with every item pipeline vs the same crawl with none.

Two sites, each crawled with and without the pipelines:
  sample  the demo sample (five plain-HTTP sources, 22 articles): fixed per-run costs dominate
  large   a generated TechCrunch copy of `LARGE_PAGES` distinct articles (the sample's TechCrunch markup,
          each page a different mix of the sample's paragraphs, so none is a near-duplicate): the steady state

Each run is a fresh child process (`python -m newsalign.demo.crawl`, as the demo does) against the same
loopback servers, alternating the two configurations; we report medians of `RUNS` runs of: crawl time
(the sum of Scrapy's `elapsed_time_seconds` over the spiders: warehouse open, discovery, fetching,
parsing, pipelines, final flush) and the child's wall time (start-up and imports included). The
baseline sets ITEM_PIPELINES={} and EXTENSIONS={} (no warehouse at all). Reuters is left out: its
Chromium start-up is no pipeline's doing. Goal: pipelines add at most 30% to the crawl time.
"""

from __future__ import annotations

import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsalign.demo.server import SAMPLE_DIR, serve_sample

SOURCES = ("bbc", "guardian", "techcrunch", "techradar", "wccftech")
RUNS = 3
LARGE_PAGES = 600
GOAL = 1.30
ELAPSED = re.compile(r"'elapsed_time_seconds': ([0-9.]+)")
STORED = re.compile(r"'newsalign/stored': (\d+)")
TEMPLATE = "techcrunch/2026/11/19/lintwise-raises-12m-seed-to-let-ai-review-pull-requests/index.html"
TEMPLATE_URL = "https://techcrunch.com/2026/11/19/lintwise-raises-12m-seed-to-let-ai-review-pull-requests/"
BODY = re.compile(r'(<div class="entry-content[^"]*">).*?(</div>)', re.S)
PARAGRAPH = re.compile(r"<p[^>]*>([^<]{200,})</p>")


def build_large_site(root: Path, pages: int) -> None:
    """`pages` distinct TechCrunch-style articles and a news sitemap listing them, under root/techcrunch."""
    site = root / "techcrunch"
    site.mkdir(parents=True)
    shutil.copy(SAMPLE_DIR / "techcrunch/robots.txt", site / "robots.txt")
    template = (SAMPLE_DIR / TEMPLATE).read_text()
    pool = sorted({p for f in SAMPLE_DIR.rglob("*.html") if "/mundo/" not in str(f) for p in PARAGRAPH.findall(f.read_text())})
    rng = random.Random(0)
    urls = []
    for i in range(pages):
        path = f"2026/11/{1 + i % 28:02d}/bench-story-{i}/"
        url = f"https://techcrunch.com/{path}"
        body = "".join(f'<p class="wp-block-paragraph">{p}</p>\n' for p in rng.sample(pool, 7))
        page = BODY.sub(lambda m: m[1] + body + m[2], template.replace(TEMPLATE_URL, url), count=1)
        (site / path).mkdir(parents=True)
        (site / path / "index.html").write_text(page)
        urls.append(url)
    rows = "".join(f"<url><loc>{u}</loc></url>\n" for u in urls)
    (site / "news-sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n'
    )


def one_run(sites: dict[str, str], db: Path, pipelines: bool) -> tuple[float, float, int]:
    """(crawl seconds, wall seconds, articles stored) of one child process."""
    db.unlink(missing_ok=True)
    command = [sys.executable, "-m", "newsalign.demo.crawl", "--db", str(db), "-s", "LOG_LEVEL=INFO", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
    command += [f"--site={s}={u}" for s, u in sites.items()]
    if not pipelines:
        command += ["-s", "ITEM_PIPELINES={}", "-s", "EXTENSIONS={}"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    return sum(float(x) for x in ELAPSED.findall(done.stderr)), wall, sum(int(x) for x in STORED.findall(done.stderr))


def compare(name: str, sites: dict[str, str], tmp: Path) -> None:
    timings: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    one_run(sites, tmp / "warm.duckdb", True)  # warm the OS file cache and bytecode once
    for _ in range(RUNS):
        for pipelines in (True, False):
            timings[pipelines].append(one_run(sites, tmp / "w.duckdb", pipelines))
    crawl = {k: statistics.median(t[0] for t in v) for k, v in timings.items()}
    wall = {k: statistics.median(t[1] for t in v) for k, v in timings.items()}
    ratio = crawl[True] / crawl[False]
    print(f"{name}: {timings[True][0][2]} articles stored, median of {RUNS} runs each, one process per run")
    print(f"  all pipelines : crawl {crawl[True]:6.2f} s   wall {wall[True]:6.2f} s")
    print(f"  no pipelines  : crawl {crawl[False]:6.2f} s   wall {wall[False]:6.2f} s")
    print(f"  pipelines / none: crawl {ratio:.2f}x, wall {wall[True] / wall[False]:.2f}x"
          f"  ({'meets' if ratio <= GOAL else 'misses'} the goal of <= {GOAL:.2f}x)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_large_site(tmp / "large", LARGE_PAGES)
        with serve_sample(SOURCES) as sites:
            compare("sample", sites, tmp)
        with serve_sample(("techcrunch",), root=tmp / "large") as sites:
            compare(f"large ({LARGE_PAGES} pages)", sites, tmp)


if __name__ == "__main__":
    main()
