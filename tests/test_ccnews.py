"""CC-NEWS: WARC files built here (warcio), read by the real `newsalign crawl ccnews`, from disk and from a
loopback server in Common Crawl's layout."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from newsalign.core.urls import canonical_url
from newsalign.crawler.items import Article
from newsalign.crawler.parsers import parse_page
from newsalign.jobs.ccnews import listing
from newsalign.jobs.ccnews.records import CorruptFile, captures, host_sources
from tests.ccnews_warcs import Page, WarcBuilder, corrupt_digest, fixture_pages, sample_pages, write_warc
from tests.conftest import FIXTURES, ROOT, require_shared, rows

SOURCES = ["bbc", "guardian", "techcrunch", "techradar", "wccftech", "reuters"]


def ccnews(db: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsalign", "crawl", "ccnews", "--db", str(db), "--backoff", "0.01", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def accepted(pages: list[Page]) -> tuple[set[str], dict[str, str]]:
    """What `newsalign parse` makes of the pages: the canonical URLs of the articles, and url -> reason."""
    articles, rejected = set(), {}
    for page in pages:
        result = parse_page(page.source, page.html, page.url)
        if isinstance(result, Article):
            articles.add(canonical_url(result.url))
        else:
            rejected[page.url] = result.reason
    return articles, rejected


# --- reading one file ------------------------------------------------------------------------------
def test_only_our_hosts_html_responses_are_read(tmp_path):
    bbc_uk = Page("bbc", "https://www.bbc.co.uk/news/articles/c0l4x2m8q1vo", sample_pages()[0].html)
    builder = WarcBuilder(tmp_path / "a.warc.gz")
    builder.request(bbc_uk.url)
    builder.response(bbc_uk.url, bbc_uk.html)
    builder.revisit("https://www.bbc.com/news/articles/x")
    builder.response("https://www.bbc.com/data.json", b'{"a": 1}', content_type="application/json")
    builder.response("https://www.bbcx.com/news/1", bbc_uk.html)
    builder.response("https://other.example.org/1", bbc_uk.html)
    counts = Counter()
    with builder.close().open("rb") as stream:
        found = list(captures(stream, host_sources(["bbc"]), counts))
    assert [(c.source, c.url, c.html) for c in found] == [("bbc", bbc_uk.url, bbc_uk.html)]
    assert found[0].captured.isoformat() == "2024-05-01T12:00:00+00:00"
    assert counts == Counter(records=6, ours=2, skipped=1)


def test_a_bad_digest_is_a_rejection_and_a_cut_file_an_error(tmp_path):
    pages = sample_pages()[:6]
    path = write_warc(tmp_path / "a.warc.gz", pages, others=20)
    corrupt_digest(path, pages[2].url)
    counts = Counter()
    found = list(captures(path.open("rb"), host_sources(SOURCES), counts))
    bad = [c for c in found if not hasattr(c, "html")]
    assert [(b.url, b.reason, b.stage) for b in bad] == [(pages[2].url, "bad_digest", "ccnews")]
    assert len(found) == 6 and counts["bad_digest"] == 1
    data = path.read_bytes()
    for cut in (len(data) - 5, len(data) // 2):
        (tmp_path / "cut.warc.gz").write_bytes(data[:cut])
        with pytest.raises(CorruptFile, match="truncated"):
            list(captures((tmp_path / "cut.warc.gz").open("rb"), host_sources(SOURCES), Counter()))
    (tmp_path / "junk.warc.gz").write_bytes(b"not a warc file at all")
    with pytest.raises(CorruptFile):
        list(captures((tmp_path / "junk.warc.gz").open("rb"), host_sources(SOURCES), Counter()))


def test_window_and_hosts():
    from datetime import date

    assert list(listing.months(date(2015, 1, 1), date(2016, 10, 3))) == [
        date(2016, 8, 1),
        date(2016, 9, 1),
        date(2016, 10, 1),
    ]
    paths = ["a/CC-NEWS-20240430235959-00001.warc.gz", "a/CC-NEWS-20240501000000-00002.warc.gz", "a/x.warc.gz"]
    assert listing.in_window(paths, date(2024, 5, 1), date(2024, 5, 31)) == paths[1:2]
    hosts = host_sources(["bbc"])
    assert hosts["www.bbc.com"] == hosts["www.bbc.co.uk"] == "bbc"


# --- the command, on files on disk -----------------------------------------------------------------
def check_stored_set(db: Path, pages: list[Page]) -> None:
    """Stored = what parse accepts, less what a later pipeline stage rejected (with its reason); what parse
    rejects is recorded with the parser's reason; nothing is stored twice."""
    articles, rejected = accepted(pages)
    stored = [url for (url,) in rows(db, "SELECT url FROM articles WHERE superseded_by IS NULL")]
    assert len(stored) == len(set(stored))
    later = {
        canonical_url(url): reason
        for url, reason in rows(db, "SELECT url, reason FROM article_rejects WHERE stage IN ('filter', 'dedup')")
    }
    assert set(stored) == articles - set(later)
    assert set(later) <= articles and len(later) < len(articles) / 4
    parse_rejects = dict(rows(db, "SELECT url, reason FROM article_rejects WHERE stage = 'parse'"))
    assert parse_rejects == rejected


@pytest.mark.slow
def test_warc_files_store_what_parse_accepts(tmp_path):
    pages = sample_pages()
    first = write_warc(tmp_path / "CC-NEWS-20240501000000-00001.warc.gz", pages[::2], others=200, seed=1)
    second = write_warc(tmp_path / "CC-NEWS-20240501010000-00002.warc.gz", pages[1::2], others=200, seed=2)
    db = tmp_path / "warehouse"
    done = ccnews(db, "--warc", str(first), "--warc", str(second), "--processes", "2")
    assert "2 files read" in done.stdout
    check_stored_set(db, pages)
    assert rows(db, "SELECT DISTINCT fetched_at::VARCHAR FROM articles") == [("2024-05-01 12:00:00+00",)]
    assert sorted(rows(db, "SELECT status, records, ours FROM ccnews_files")) == sorted(
        ("finished", 2 * 200 + len(half) * 2, len(half)) for half in (pages[::2], pages[1::2])
    )
    again = ccnews(db, "--warc", str(first), "--warc", str(second))
    assert "0 files read (2 finished earlier, skipped)" in again.stdout
    assert len(rows(db, "SELECT * FROM ccnews_files")) == 2


@pytest.mark.slow
def test_real_pages_of_our_hosts(tmp_path):
    pages = fixture_pages(require_shared(FIXTURES))
    if not pages:
        pytest.skip(f"no fundus fixtures with meta.info under {FIXTURES}")
    path = write_warc(tmp_path / "CC-NEWS-20240501000000-00001.warc.gz", pages, others=100)
    db = tmp_path / "warehouse"
    ccnews(db, "--warc", str(path))
    check_stored_set(db, pages)
