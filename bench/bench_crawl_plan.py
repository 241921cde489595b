"""`newsalign crawl plan` over two local Scrapyd daemons against `newsalign crawl all` on one machine:
the same sample sites (five sources, loopback), the same two months (2026-10 and 2026-11, ten plan
jobs), each into a fresh lake. Prints both times, checks the two lakes hold the same rows, and states
the scheduling overhead: the plan's extra seconds, and per job (a process start, the deploy, the polls).
Reuters is left out: its pages need Chromium.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsalign.demo.server import serve_sample
from newsalign.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.scrapyd_nodes import scrapyd_nodes  # noqa: E402 (the tests' daemon helper, from the checkout)

SOURCES = ("bbc", "guardian", "techcrunch", "techradar", "wccftech")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def timed(command: list[str]) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return time.monotonic() - started


def stored(db: Path) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT source, url FROM v_articles_clean ORDER BY ALL").fetchall()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, serve_sample(SOURCES) as sites:
        tmp = Path(tmp)
        site_args = [arg for source, url in sites.items() for arg in ("--site", f"{source}={url}")]
        common = ["--sources", ",".join(SOURCES), *site_args, *FAST]
        newsalign = [sys.executable, "-m", "newsalign", "crawl"]
        one = timed(
            [*newsalign, "all", "--db", str(tmp / "all"), "--since", "2026-10-01", "--until", "2026-11-30", *common]
        )
        with scrapyd_nodes(tmp / "nodes") as nodes:
            plan = [*newsalign, "plan", "--db", str(tmp / "plan"), "--nodes", ",".join(nodes), "--poll", "0.5"]
            cluster = timed([*plan, "--since", "2026-10", "--until", "2026-11", *common])
        rows_all, rows_plan = stored(tmp / "all"), stored(tmp / "plan")
    jobs = 2 * len(SOURCES)
    print(f"crawl all (one process, {len(SOURCES)} sources at once):   {one:6.1f} s")
    print(f"crawl plan ({jobs} jobs on 2 Scrapyd daemons, <= 1 per source): {cluster:6.1f} s")
    assert rows_all == rows_plan, "the plan and crawl all stored different rows"
    print(f"{len(rows_plan)} articles either way (the same rows)")
    print(
        f"scheduling overhead: {cluster - one:+.1f} s over crawl all, {(cluster - one) / jobs:.1f} s a job "
        f"(each job is a fresh Scrapy process; each source's two months run one after the other)"
    )


if __name__ == "__main__":
    main()
