"""CC-NEWS: WARC files built here (warcio), read by the real `newsalign crawl ccnews`, from disk and from a
loopback server in Common Crawl's layout."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsalign.core.urls import canonical_url
from newsalign.crawler.items import Article
from newsalign.crawler.parsers import parse_page
from newsalign.jobs.ccnews import listing
from newsalign.jobs.ccnews.records import CorruptFile, captures, host_of, host_sources
from tests.ccnews_warcs import (
    ArchiveServer,
    Page,
    WarcBuilder,
    archive_path,
    corrupt_digest,
    fixture_pages,
    other_page,
    sample_pages,
    write_listings,
    write_warc,
)
from tests.helpers import FIXTURES, ROOT, require_shared, rows

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
# Pages a pipeline stage after parsing rejected, less re-reads of a page already stored (a file read again).
QUERY_LATER_REJECTS = """
    SELECT url, reason FROM article_rejects
    WHERE stage IN ('filter', 'dedup') AND reason <> 'duplicate_url'"""


def check_stored_set(db: Path, pages: list[Page]) -> None:
    """Stored = what parse accepts, less what a later pipeline stage rejected (with its reason); what parse
    rejects is recorded with the parser's reason; nothing is stored twice."""
    articles, rejected = accepted(pages)
    stored = [url for (url,) in rows(db, "SELECT url FROM articles WHERE superseded_by IS NULL")]
    assert len(stored) == len(set(stored))
    later = {canonical_url(url): reason for url, reason in rows(db, QUERY_LATER_REJECTS)}
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
    runs = rows(db, "SELECT run_id FROM crawl_runs WHERE spider = 'ccnews'")
    assert len(runs) == 2  # one a worker
    again = ccnews(db, "--warc", str(first), "--warc", str(second), "--processes", "2")
    assert "0 files read (2 finished earlier, skipped)" in again.stdout
    assert len(rows(db, "SELECT * FROM ccnews_files")) == 2
    assert rows(db, "SELECT run_id FROM crawl_runs WHERE spider = 'ccnews'") == runs  # workers given no file: no run


@pytest.mark.slow
def test_real_pages_of_our_hosts(tmp_path):
    pages = fixture_pages(require_shared(FIXTURES))
    if not pages:
        pytest.skip(f"no fundus fixtures with meta.info under {FIXTURES}")
    path = write_warc(tmp_path / "CC-NEWS-20240501000000-00001.warc.gz", pages, others=100)
    db = tmp_path / "warehouse"
    ccnews(db, "--warc", str(path))
    check_stored_set(db, pages)


# --- the command, on an archive served over loopback -----------------------------------------------
@pytest.mark.slow
def test_archive_window_retries_failures_and_rerun(tmp_path):
    pages = sample_pages()
    root = tmp_path / "archive"
    good = write_warc(archive_path(root, "20240501120000", 0), pages[:12], others=300, seed=1)
    dropped = write_warc(archive_path(root, "20240502120000", 1), pages[12:20], others=300, seed=2)
    cut = write_warc(archive_path(root, "20240503120000", 2), pages[20:26], others=300, seed=3)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 2 // 3])
    digest = write_warc(archive_path(root, "20240504120000", 3), pages[26:], others=300, seed=4)
    corrupt_digest(digest, pages[27].url)
    after = write_warc(archive_path(root, "20240505000000", 4), pages[:3], others=10, seed=5)
    june = write_warc(archive_path(root, "20240601000000", 5), pages[:3], others=10, seed=6)
    write_listings(root)
    rel = {p: p.relative_to(root).as_posix() for p in (good, dropped, cut, digest, after, june)}
    server = ArchiveServer(root)
    try:
        server.fail_next[rel[good]] = 2  # Common Crawl's 503s: retried with backoff
        server.cut_after[rel[dropped]] = dropped.stat().st_size // 2  # a dropped connection: resumed with Range
        db = tmp_path / "warehouse"
        first = ccnews(db, "--since", "2024-05-01", "--until", "2024-05-04", "--server", server.url, check=False)
        assert first.returncode == 1 and "Error: 2 file(s) failed" in first.stderr
        status = dict(rows(db, "SELECT path, status || ': ' || coalesce(error, '') FROM ccnews_files"))
        assert status[rel[good]] == status[rel[dropped]] == "finished: "
        assert status[rel[cut]].startswith("failed: truncated")
        assert status[rel[digest]] == "failed: corrupt: 1 record(s) with a bad block digest"
        assert server.requests[rel[after]] == server.requests[rel[june]] == 0  # outside the window: never asked for
        assert "crawl-data/CC-NEWS/2024/06/warc.paths.gz" not in server.requests
        assert server.requests[rel[good]] == 3
        assert server.ranges == [(rel[dropped], f"bytes={dropped.stat().st_size // 2}-")]
        stored = {u for (u,) in rows(db, "SELECT url FROM articles")}
        assert canonical_url(pages[27].url) not in stored  # the bad record, rejected as such
        assert rows(db, f"SELECT reason FROM article_rejects WHERE url = '{pages[27].url}'") == [("bad_digest",)]
        full = {p: n for p, n in server.requests.items()}
        kept = tmp_path / "kept"
        kept.mkdir()
        again = ccnews(db, "--since", "2024-05", "--server", server.url, "--keep", str(kept), check=False)
        assert sorted(p.name for p in kept.iterdir()) == sorted([after.name, digest.name])  # no part of a cut file
        assert (kept / after.name).read_bytes() == after.read_bytes()
        assert "2 finished earlier, skipped" in again.stdout
        assert server.requests[rel[good]] == full[rel[good]] and server.requests[rel[dropped]] == full[rel[dropped]]
        assert server.requests[rel[cut]] == full[rel[cut]] + 1 and server.requests[rel[after]] == 1
        counts = rows(db, "SELECT url, count(*) FROM articles GROUP BY url HAVING count(*) > 1")
        assert counts == []
    finally:
        server.close()


@pytest.mark.slow
def test_a_month_without_listing_is_reported(tmp_path):
    from datetime import date

    import requests

    from newsalign.jobs.ccnews.stream import Retries

    root = tmp_path / "archive"
    write_warc(archive_path(root, "20240501120000", 0), [], others=1)
    write_listings(root)
    server = ArchiveServer(root)
    warnings = []
    try:
        with requests.Session() as session:
            found = listing.window_files(
                session, server.url, date(2024, 4, 1), date(2024, 5, 31), Retries(2, 0.0), warnings.append
            )
    finally:
        server.close()
    assert found == ["crawl-data/CC-NEWS/2024/05/CC-NEWS-20240501120000-00000.warc.gz"]
    assert warnings == ["no CC-NEWS listing for 2024-04 (a gap in the archive, or not published yet)"]


def wait_for(what: str, check, process: subprocess.Popen, timeout: float = 180.0) -> None:
    """Poll `check()` until true (the crawl must still be running)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert process.poll() is None, f"the crawl ended before {what}: {process.stderr.read()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_kill_9_mid_file_then_rerun_stores_every_page_once(tmp_path):
    pages = sample_pages()
    root = tmp_path / "archive"
    first = write_warc(archive_path(root, "20240501120000", 0), pages[:10], others=100, seed=1)
    second = write_warc(archive_path(root, "20240502120000", 1), pages[10:20], others=100, seed=2)
    builder = WarcBuilder(archive_path(root, "20240503120000", 2))  # our pages first, then 600 others
    for page in pages[20:] + [other_page(random.Random(3), n) for n in range(600)]:
        builder.response(page.url, page.html)
    third = builder.close()
    write_listings(root)
    rel = {p: p.relative_to(root).as_posix() for p in (first, second, third)}
    third_urls = {canonical_url(p.url) for p in pages[20:]}
    server = ArchiveServer(root)
    release = threading.Event()
    server.hold[rel[third]] = (third.stat().st_size // 2, release)
    db = tmp_path / "warehouse"
    command = [sys.executable, "-m", "newsalign", "crawl", "ccnews", "--db", str(db), "--since", "2024-05"]
    command += ["--server", server.url, "-s", "NEWSALIGN_STORE_BATCH=1"]
    crawl = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for("the third file's first half", server.held.is_set, crawl)
        wait_for(
            "an article of the third file in the lake",
            lambda: db.exists() and {u for (u,) in rows(db, "SELECT url FROM articles")} & third_urls,
            crawl,
        )
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.wait()
    finally:
        release.set()
    try:
        assert rows(db, f"SELECT status FROM ccnews_files WHERE path = '{rel[third]}'") == [("running",)]
        before = dict(server.requests)
        ccnews(db, "--since", "2024-05", "--server", server.url)
        assert server.requests[rel[first]] == before[rel[first]] == 1
        assert server.requests[rel[second]] == before[rel[second]] == 1
        assert server.requests[rel[third]] == 2
        assert rows(db, "SELECT url FROM articles GROUP BY url HAVING count(*) > 1") == []
        check_stored_set(db, pages)
    finally:
        server.close()


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_the_rerun_resumes(tmp_path):
    pages = sample_pages()
    root = tmp_path / "archive"
    first = write_warc(archive_path(root, "20240501120000", 0), pages[:15], others=100, seed=1)
    second = write_warc(archive_path(root, "20240502120000", 1), pages[15:], others=600, seed=2)
    write_listings(root)
    rel = {p: p.relative_to(root).as_posix() for p in (first, second)}
    server = ArchiveServer(root)
    release = threading.Event()
    server.hold[rel[second]] = (second.stat().st_size // 2, release)
    db = tmp_path / "warehouse"
    command = [sys.executable, "-m", "newsalign", "crawl", "ccnews", "--db", str(db), "--since", "2024-05"]
    crawl = subprocess.Popen(
        [*command, "--server", server.url], cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for("the second file's first half", server.held.is_set, crawl)
        os.killpg(crawl.pid, signal.SIGINT)  # what Ctrl-C sends: to the whole foreground group
        _, err = crawl.communicate(timeout=120)
    finally:
        release.set()
    try:
        assert crawl.returncode == 1 and "Traceback" not in err
        assert err.strip().splitlines()[-1].startswith("Error: interrupted: run the same command to resume")
        assert rows(db, "SELECT status FROM crawl_runs") == [("interrupted",)]
        assert sorted(rows(db, "SELECT path, status FROM ccnews_files")) == [
            (rel[first], "finished"),
            (rel[second], "running"),
        ]
        ccnews(db, "--since", "2024-05", "--server", server.url)
        assert server.requests[rel[first]] == 1 and server.requests[rel[second]] == 2
        check_stored_set(db, pages)
    finally:
        server.close()


@given(
    scheme=st.sampled_from(["http", "https", "HTTPS", ""]),
    userinfo=st.sampled_from(["", "user@", "user:pw@", "a@b@"]),
    host=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,20}|\[[0-9a-f:]{2,12}\]", fullmatch=True),
    port=st.sampled_from(["", ":80", ":8080", ":"]),
    rest=st.sampled_from(["", "/", "/news/x", "?q=/x", "#frag/x", "/a?b#c"]),
)
def test_host_of_a_record_is_what_urlsplit_says(scheme, userinfo, host, port, rest):
    url = f"{scheme}://{userinfo}{host}{port}{rest}" if scheme else f"//{userinfo}{host}{port}{rest}"
    try:
        expected = urlsplit(url).hostname or ""
    except ValueError:  # a bracketed host that is no IPv6 address: urlsplit raises, host_of gives what is there
        expected = host[1:-1].lower()
    assert host_of(url) == expected
