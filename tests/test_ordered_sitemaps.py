"""Backfills through numbered post sitemaps read O(log n) of them (crawler/spiders/ordered.py), and a real
crawl of such an index requests exactly the window's articles."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from newsalign.crawler.spiders.ordered import Bisection, numbered_groups
from newsalign.crawler.spiders.window import DateWindow
from newsalign.demo.server import RequestLog, serve_sample
from tests.helpers import quiet_settings, rows

ROOT = Path(__file__).resolve().parents[1]
CHILDREN, PER_CHILD = 40, 10
START = date(2023, 1, 1)


def day(child: int, entry: int) -> date:
    """Entry `entry` of child `child` (oldest first): one article a day."""
    return START + timedelta(days=child * PER_CHILD + entry)


def spans(window: DateWindow) -> tuple[list[int], Bisection]:
    """Drive a bisection over CHILDREN children as the spider would: the children it read, in order."""
    bisection = Bisection([f"post-sitemap{i + 1}.xml" for i in range(CHILDREN)], window)
    queue, order = bisection.first(), []
    while queue:
        i = queue.pop(0)
        order.append(i)
        queue += bisection.observe(i, (day(i, 0), day(i, PER_CHILD - 1)))
    return order, bisection


def test_numbered_groups_are_ordered_oldest_first():
    urls = ["https://w.test/post-sitemap3.xml", "https://w.test/post-sitemap.xml", "https://w.test/page-sitemap.xml"]
    urls += ["https://w.test/post-sitemap2.xml", "https://w.test/post-sitemap10.xml"]
    assert numbered_groups(urls) == [
        [
            "https://w.test/post-sitemap.xml",
            "https://w.test/post-sitemap2.xml",
            "https://w.test/post-sitemap3.xml",
            "https://w.test/post-sitemap10.xml",
        ]
    ]


@pytest.mark.parametrize(
    "since, until, wanted",
    [
        (day(17, 3), day(18, 2), {17, 18}),  # across two children
        (day(5, 0), day(5, 9), {5}),
        (day(0, 0), day(0, 1), {0}),  # the oldest
        (day(39, 5), None, {39}),  # only since: the newest
        (None, day(1, 0), {0, 1}),  # only until: from the start
        (day(40, 0), day(41, 0), set()),  # after everything
    ],
)
def test_the_search_reads_a_few_children_and_every_one_in_the_window(since, until, wanted):
    order, bisection = spans(DateWindow(since, until))
    assert wanted <= set(order)
    assert len(order) <= len(wanted) + 2 + CHILDREN.bit_length()  # the window's, its two neighbours, log2 n
    assert bisection.done


def test_children_without_url_dates_fall_back_to_reading_the_rest():
    bisection = Bisection([f"s{i}.xml" for i in range(10)], DateWindow(date(2024, 1, 1), date(2024, 1, 31)))
    [first] = bisection.first()
    rest = bisection.observe(first, None)
    assert sorted([first, *rest]) == list(range(10)) and bisection.fallback


def build_site(root: Path) -> None:
    site = root / "techcrunch"
    site.mkdir(parents=True)
    index = "".join(
        f"<sitemap><loc>https://techcrunch.com/post-sitemap{i + 1}.xml</loc></sitemap>" for i in range(CHILDREN)
    )
    (site / "sitemap.xml").write_text(
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'
    )
    for i in range(CHILDREN):
        urls = "".join(
            f"<url><loc>https://techcrunch.com/{day(i, e):%Y/%m/%d}/story-{i}-{e}/</loc></url>"
            for e in range(PER_CHILD)
        )
        (site / f"post-sitemap{i + 1}.xml").write_text(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )


@pytest.mark.slow
def test_a_backfill_crawl_reads_log_n_sitemaps_and_requests_exactly_the_window(tmp_path):
    build_site(tmp_path / "site")
    log = RequestLog()
    since, until = day(21, 4), day(22, 6)
    with serve_sample(("techcrunch",), log=log, root=tmp_path / "site") as sites:
        command = [sys.executable, "-m", "scrapy", "crawl", "techcrunch", "-a", f"site={sites['techcrunch']}"]
        command += [
            "-a",
            f"since={since}",
            "-a",
            f"until={until}",
            *quiet_settings(f"NEWSALIGN_DB={tmp_path / 'lake'}"),
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    sitemaps = [p for p in log.paths("techcrunch") if p.startswith("/post-sitemap")]
    assert len(sitemaps) <= 2 + 2 + CHILDREN.bit_length()
    articles = {p for p in log.paths("techcrunch") if "/story-" in p}
    expected = {
        f"/{day(i, e):%Y/%m/%d}/story-{i}-{e}/"
        for i in range(CHILDREN)
        for e in range(PER_CHILD)
        if since <= day(i, e) <= until
    }
    assert articles == expected
    assert rows(tmp_path / "lake", "SELECT count(*) FROM article_rejects WHERE reason = 'outside_window'") == [(0,)]
