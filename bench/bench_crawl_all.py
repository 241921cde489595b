"""`newsalign crawl all` against the politeness limit: five loopback sites (one address each, like five
domains), each answering at most one request per INTERVAL seconds from us (429 sooner, counted), with
PAGES articles apiece; the spiders set to that allowance (DOWNLOAD_DELAY = INTERVAL, one request at a
time per domain). Throughput = requests answered / (seconds from the first request to the last x sites
x allowed rate); `crawl all` (every source at once) side by side with one source after another (the
demo's sequential crawl in one process). Reuters is left out: its pages need Chromium.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from http.server import ThreadingHTTPServer
from pathlib import Path

from newsalign.demo.server import SAMPLE_DIR, sample_handler
from newsalign.jobs.in_turn import in_turn_command
from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
PAGES = 40
INTERVAL = 0.25  # seconds between requests a site allows: 4 requests/s per site
GOAL = 0.90
PARAGRAPH = re.compile(r"(<p[^>]*>)([^<]{150,})(</p>)")
# source -> (template page, its URL, the URL pattern of copy i, news sitemap path or feed path, kind)
SITES = {
    "bbc": (
        "bbc/news/articles/c0l4x2m8q1vo.html",
        "https://www.bbc.com/news/articles/c0l4x2m8q1vo",
        "https://www.bbc.com/news/articles/c0bench{i:04d}o",
        "sitemaps/https-index-com-news.xml",
        "sitemap",
    ),
    "guardian": (
        "guardian/business/2026/nov/17/kelpform-seaweed-packaging-startup-raises-25m.html",
        "https://www.theguardian.com/business/2026/nov/17/kelpform-seaweed-packaging-startup-raises-25m",
        "https://www.theguardian.com/business/2026/nov/17/bench-story-{i}",
        "sitemaps/news.xml",
        "sitemap",
    ),
    "techcrunch": (
        "techcrunch/2026/11/19/lintwise-raises-12m-seed-to-let-ai-review-pull-requests/index.html",
        "https://techcrunch.com/2026/11/19/lintwise-raises-12m-seed-to-let-ai-review-pull-requests/",
        "https://techcrunch.com/2026/11/19/bench-story-{i}/",
        "news-sitemap.xml",
        "sitemap",
    ),
    "techradar": (
        "techradar/computing/laptops/new-laptop-chip-benchmarks-show-30-percent-battery-life-jump.html",
        "https://www.techradar.com/computing/laptops/new-laptop-chip-benchmarks-show-30-percent-battery-life-jump",
        "https://www.techradar.com/computing/laptops/bench-story-{i}",
        "sitemap-news.xml",
        "sitemap",
    ),
    "wccftech": (
        "wccftech/lumenlink-raises-85m-photonic-interconnect-ai-accelerators/index.html",
        "https://wccftech.com/lumenlink-raises-85m-photonic-interconnect-ai-accelerators/",
        "https://wccftech.com/bench-story-{i}/",
        "feed/index.xml",
        "feed",
    ),
}


def build_sites(root: Path, pages: int) -> None:
    """`pages` distinct copies of each source's sample article (new URL, paragraphs drawn from all the
    sample's paragraphs) and the news sitemap or feed that lists them."""
    pool = sorted(
        {
            text
            for f in SAMPLE_DIR.rglob("*.html")
            if "/mundo/" not in str(f)
            for _, text, _ in PARAGRAPH.findall(f.read_text())
        }
    )
    rng = random.Random(0)
    for source, (template_path, template_url, pattern, listing, kind) in SITES.items():
        template = (SAMPLE_DIR / template_path).read_text()
        urls = [pattern.format(i=i) for i in range(pages)]
        for url in urls:
            page = PARAGRAPH.sub(lambda m: m[1] + rng.choice(pool) + m[3], template.replace(template_url, url))
            path = (
                root / source / (url.split("/", 3)[3].rstrip("/") + ("/index.html" if url.endswith("/") else ".html"))
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page)
        (root / source / listing).parent.mkdir(parents=True, exist_ok=True)
        if kind == "sitemap":
            entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
            body = (
                f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
            )
        else:
            entries = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in urls)
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{entries}</channel></rss>'
        (root / source / listing).write_text(body)


class Clock:
    """Each site's rate limit, as real sites apply one (nginx's limit_req): a token bucket refilled at
    1/INTERVAL a second holding BURST tokens; a request without a token is refused (429). Every request
    is kept as (time, status)."""

    BURST = 2

    def __init__(self, interval: float = INTERVAL):
        self.interval = interval
        self.lock = threading.Lock()
        self.times: dict[str, list[tuple[float, int]]] = {s: [] for s in SITES}
        self.tokens = {s: float(self.BURST) for s in SITES}
        self.last = {s: time.monotonic() for s in SITES}

    def admit(self, source: str) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens[source] = min(self.BURST, self.tokens[source] + (now - self.last[source]) / self.interval)
            self.last[source] = now
            allowed = self.tokens[source] >= 1
            self.tokens[source] -= allowed
            self.times[source].append((now, 200 if allowed else 429))
            return allowed


def serve(stack: ExitStack, root: Path, clock: Clock) -> dict[str, str]:
    """One server per source on its own loopback address, each behind its own rate limit (`Clock`)."""
    sites = {}
    for n, source in enumerate(SITES, start=2):
        base = sample_handler(source, root / source, None, 0.0)

        class Polite(base):
            def do_GET(self, source=source, base=base) -> None:  # noqa: N802
                if not clock.admit(source):
                    self.send_error(429)
                    return
                base.do_GET(self)

        server = ThreadingHTTPServer((f"127.0.0.{n}", 0), Polite)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        sites[source] = f"http://127.0.0.{n}:{server.server_port}"
    return sites


def polite(interval: float = INTERVAL) -> list[str]:
    """Scrapy settings for a site allowing one request per `interval` seconds: exactly that allowance."""
    settings = (f"DOWNLOAD_DELAY={interval}", "DOWNLOAD_DELAY_JITTER=0", "AUTOTHROTTLE_ENABLED=False")
    settings += ("CONCURRENT_REQUESTS_PER_DOMAIN=1", "LOG_LEVEL=ERROR")
    return [arg for setting in settings for arg in ("-s", setting)]


def run(mode: str, root: Path, workdir: Path) -> dict:
    clock = Clock()
    with ExitStack() as stack:
        sites = serve(stack, root, clock)
        db = workdir / f"lake-{mode}".replace(" ", "-")
        if mode == "crawl all":
            command = [sys.executable, "-m", "newsalign", "crawl", "all", "--db", str(db), "--sources", ",".join(SITES)]
            command += [a for s, u in sites.items() for a in ("--site", f"{s}={u}")]
        else:
            command = in_turn_command(db, sites)
        start = time.monotonic()
        done = subprocess.run(command + polite(), cwd=ROOT, capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - start
    assert done.returncode == 0, done.stderr[-2000:]
    with connect(db, read_only=True) as con:
        stored = sorted(con.execute("SELECT source, url FROM v_articles_clean").fetchall())
    stamps = [t for seen in clock.times.values() for t, s in seen if s != 429]
    answered, refused = len(stamps), sum(s == 429 for seen in clock.times.values() for _, s in seen)
    span = max(stamps) - min(stamps)
    # Each site's own busy span: how close to its allowance it was crawled while it was being crawled.
    per_site = []
    for seen in clock.times.values():
        ok = [t for t, status in seen if status != 429]
        per_site.append(len(ok) / (max(ok) - min(ok) + INTERVAL) * INTERVAL)
    return {
        "answered": answered,
        "refused": refused,
        "span": span,
        "wall": wall,
        "fraction": answered / (span + INTERVAL) / (len(SITES) / INTERVAL),
        "per_site": sum(per_site) / len(per_site),
        "stored": stored,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, workdir = Path(tmp) / "sites", Path(tmp)
        build_sites(root, PAGES)
        print(
            f"{len(SITES)} sites x {PAGES} articles, one request per {INTERVAL}s allowed per site "
            f"(limit {len(SITES) / INTERVAL:.0f} requests/s over all)"
        )
        results = {mode: run(mode, root, workdir) for mode in ("one source after another", "crawl all")}
    for mode, r in results.items():
        print(
            f"{mode:<26} {r['answered']:>4} requests in {r['span']:6.1f} s (process {r['wall']:5.1f} s), "
            f"{r['refused']} refused (429): {r['fraction']:6.1%} of the politeness limit over all, "
            f"{r['per_site']:6.1%} per site while it was crawled"
        )
    stored = {mode: r["stored"] for mode, r in results.items()}
    assert stored["crawl all"] == stored["one source after another"], "the two ways stored different rows"
    print(f"{len(stored['crawl all'])} articles stored either way (the same rows)")
    ratio = results["one source after another"]["span"] / results["crawl all"]["span"]
    fraction = results["crawl all"]["fraction"]
    verdict = "met" if fraction >= GOAL else "MISSED"
    print(f"crawl all is {ratio:.2f}x faster; {fraction:.1%} of the limit over all (goal >= {GOAL:.0%}): {verdict}")
