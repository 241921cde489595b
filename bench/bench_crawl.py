"""Crawl benchmark: a loopback crawl with every item pipeline vs the same crawl with none.

Two sites, each crawled with and without the pipelines:
  sample  the demo sample (five plain-HTTP sources, 22 articles): fixed costs dominate
  large   a generated TechCrunch copy of `LARGE_PAGES` distinct articles (the sample's TechCrunch markup,
          each page a different mix of the sample's paragraphs, so none is a near-duplicate): the steady state

Each run is a fresh child process (`python -m bench.bench_crawl child ...`, which crawls as the demo does:
the real spiders, one after another, in one Scrapy reactor) against the same loopback servers,
alternating the two configurations, `RUNS` runs each. A run's first crawl is the headline ("one
process per run"): its time runs from building the first crawler to closing the last, so it includes
everything the pipelines cost — importing their modules, opening the warehouse, loading the language
model, the final flush and close — but not the interpreter's start-up or Scrapy's own imports (the
child's wall time, also printed, has those). The same process then crawls the site again into a fresh
warehouse ("warm": modules and model already loaded), which separates what a process pays once from
what each crawl pays (each crawl writes a copy of an empty lake made before any timing: a lake's
creation is paid once, not per crawl). The baseline sets ITEM_PIPELINES={}, EXTENSIONS={} and drops
the stored-URL middleware (no warehouse at all).
Reuters is left out: its Chromium start-up is no pipeline's doing. No delay is added to either run.

To explain the ratios we also print what the pipelines add (medians over the runs of with minus
without, each pair run back to back): once per process (the sample's first crawl minus its second:
imports, language model), once per crawl (a warm crawl of `SMALL_PAGES` page of the large site:
warehouse open, flush, close) and per article (warm crawls of `LARGE_PAGES` pages vs `SMALL_PAGES`).
Goal: pipelines add at most 30% to the crawl time.
"""

from __future__ import annotations

import json
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
RUNS = 5
LARGE_PAGES = 600
SMALL_PAGES = 1
GOAL = 1.30
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
    pool = sorted(
        {p for f in SAMPLE_DIR.rglob("*.html") if "/mundo/" not in str(f) for p in PARAGRAPH.findall(f.read_text())}
    )
    rng = random.Random(0)
    urls = []
    for i in range(pages):
        path = f"2026/11/{1 + i % 28:02d}/bench-story-{i}/"
        url = f"https://techcrunch.com/{path}"
        body = "".join(f'<p class="wp-block-paragraph">{p}</p>\n' for p in rng.sample(pool, 7))
        page = BODY.sub(lambda m, body=body: m[1] + body + m[2], template.replace(TEMPLATE_URL, url), count=1)
        (site / path).mkdir(parents=True)
        (site / path / "index.html").write_text(page)
        urls.append(url)
    rows = "".join(f"<url><loc>{u}</loc></url>\n" for u in urls)
    (site / "news-sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n'
    )


def child(db: str, sites: dict[str, str], pipelines: bool, limits: list[int | None]) -> None:
    """Crawl every site once per entry of `limits` (article pages per spider, None = all), each time into
    a fresh warehouse, in this one process; print one JSON line per crawl: seconds and articles. A fresh
    warehouse is a copy of an empty one created before any timing: creating a lake (its migrations, about
    a second) is paid once per lake, not per crawl."""
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    from newsalign.crawler.config import crawl_settings
    from newsalign.jobs.in_turn import LOOPBACK_SETTINGS, run_in_reactor

    overrides = {**LOOPBACK_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "NEWSALIGN_DB": db}
    if not pipelines:
        overrides.update(  # nothing that touches the warehouse
            ITEM_PIPELINES={},
            EXTENSIONS={},
            DOWNLOADER_MIDDLEWARES={"newsalign.pipeline.resume.SkipStoredArticles": None},
        )
    settings = crawl_settings(**overrides)
    install_reactor(settings["TWISTED_REACTOR"])
    configure_logging(settings)
    runner = AsyncCrawlerRunner(settings)
    loader = SpiderLoader.from_settings(settings)

    empty = f"{db}-empty"
    if pipelines:
        from newsalign.warehouse import connect

        connect(empty).close()

    async def crawls() -> None:
        for limit in limits:
            shutil.rmtree(db, ignore_errors=True)  # a fresh (empty, migrated) lake for every crawl
            if pipelines:
                shutil.copytree(empty, db)
            started, articles = time.perf_counter(), 0
            for source, base in sites.items():
                crawler = runner.create_crawler(loader.load(source))
                await runner.crawl(crawler, site=base, **({"limit": limit} if limit else {}))
                articles += crawler.stats.get_value("newsalign/stored" if pipelines else "item_scraped_count", 0)
            print(json.dumps({"seconds": time.perf_counter() - started, "articles": articles}), flush=True)

    run_in_reactor(crawls())


def one_run(sites: dict[str, str], db: Path, pipelines: bool, limits: list[int | None]) -> tuple[float, list[dict]]:
    """(wall seconds of the child, one {seconds, articles} per crawl it made)."""
    command = [
        sys.executable,
        "-m",
        "bench.bench_crawl",
        "child",
        str(db),
        json.dumps(sites),
        json.dumps(pipelines),
        json.dumps(limits),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"benchmark crawl failed:\n{done.stderr[-3000:]}")
    return wall, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def measure(sites: dict[str, str], tmp: Path, limits: list[int | None]) -> dict:
    """`RUNS` child processes per configuration, alternating. Returns medians of the wall time and of each
    crawl's seconds, per configuration, and the `RUNS` runs' crawl seconds paired (with, without) in the
    order they ran, for differences that cancel the shared box's slower and faster moments."""
    runs: dict[bool, list] = {True: [], False: []}
    one_run(sites, tmp / "warm", True, limits[:1])  # warm the OS file cache and bytecode once
    for _ in range(RUNS):
        for pipelines in (True, False):
            runs[pipelines].append(one_run(sites, tmp / "w", pipelines, limits))
    result = {
        k: {
            "wall": statistics.median(wall for wall, _ in v),
            "crawls": [statistics.median(crawls[i]["seconds"] for _, crawls in v) for i in range(len(limits))],
            "articles": [v[0][1][i]["articles"] for i in range(len(limits))],
        }
        for k, v in runs.items()
    }
    result["extra"] = [  # per run: seconds the pipelines added to each of its crawls
        [w["seconds"] - n["seconds"] for w, n in zip(with_[1], without[1])]
        for with_, without in zip(runs[True], runs[False])
    ]
    return result


def row(label: str, with_: float, without: float, goal: bool = True) -> None:
    ratio = with_ / without
    verdict = f"  {'meets' if ratio <= GOAL else 'misses'} <= {GOAL:.2f}x" if goal else ""
    print(f"  {label:<44} {with_:11.2f} s {without:7.2f} s {ratio:6.2f}x{verdict}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_large_site(tmp / "large", LARGE_PAGES)
        with serve_sample(SOURCES) as sites:
            sample = measure(sites, tmp, [None, None])
        with serve_sample(("techcrunch",), root=tmp / "large") as sites:
            large = measure(sites, tmp, [None, LARGE_PAGES, SMALL_PAGES])

    header = f"  {'':<44} {'all pipelines':>13} {'none':>9} {'ratio':>7}"
    on, off = sample[True], sample[False]
    print(
        f"sample: {on['articles'][0]} articles stored of {off['articles'][0]} items parsed, 5 spiders; medians of {RUNS} child processes each"
    )
    print(header)
    row("crawl, one process per run (the goal)", on["crawls"][0], off["crawls"][0])
    row("crawl, warm (2nd crawl in the same process)", on["crawls"][1], off["crawls"][1])
    row("child process wall time (start-up too)", on["wall"], off["wall"], goal=False)

    on, off = large[True], large[False]
    print(
        f"large: {on['articles'][0]} articles stored of {off['articles'][0]} items parsed, 1 spider; medians of {RUNS} child processes each"
    )
    print(header)
    row("crawl, one process per run", on["crawls"][0], off["crawls"][0])
    row("crawl, warm (2nd crawl in the same process)", on["crawls"][1], off["crawls"][1])

    per_process = statistics.median(cold - warm for cold, warm in sample["extra"])
    per_article = statistics.median((big - small) / (LARGE_PAGES - SMALL_PAGES) for _, big, small in large["extra"])
    per_crawl = statistics.median(small for _, _, small in large["extra"]) - per_article * SMALL_PAGES
    print("what the pipelines add (medians of per-process differences with vs without):")
    print(f"  once per process: imports, language model (sample, cold - warm)  {per_process:7.3f} s")
    print(f"  once per crawl: warehouse open, flush, close (large, warm)       {per_crawl:7.3f} s")
    print(
        f"  per article (large, warm, {LARGE_PAGES} pages vs {SMALL_PAGES})                    {per_article * 1000:7.2f} ms"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        db, sites, pipelines, limits = sys.argv[2:6]
        child(db, json.loads(sites), json.loads(pipelines), json.loads(limits))
    else:
        main()
