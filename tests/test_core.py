"""The leaf layer: one canonical URL and article id, one date parser, used by parser and pipeline alike."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newsalign.core import dates
from newsalign.core.dates import parse_date
from newsalign.core.urls import article_id, canonical_url, page_url
from newsalign.crawler.config import crawl_settings
from newsalign.crawler.parsers import parse_page
from newsalign.pipeline.chain import run_chain
from tests.helpers import rows
from tests.pages import page

UTC = timezone.utc


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("https://A.test/x?b=1&a=2", "https://a.test/x?a=2&b=1"),
        ("https://a.test/x?b=2&utm_campaign=z&a=1#top", "https://a.test/x?a=1&b=2"),
        ("https://a.test/x?id=7&fbclid=q&at_medium=RSS&at_custom1=y", "https://a.test/x?id=7"),
        ("https://a.test", "https://a.test/"),
    ],
)
def test_canonical_url_is_idempotent(url, canonical):
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


def test_page_url_skips_unreadable_candidates():
    assert (
        page_url(["http://[::1", "mailto:x@y", "/news/a?b=1&a=2"], "https://a.test/p")
        == "https://a.test/news/a?a=2&b=1"
    )
    with pytest.raises(ValueError):
        page_url([], "http://[::1")


def test_parse_prints_the_id_the_warehouse_stores(db_path):
    url = "https://www.theguardian.com/business/2024/may/01/x?b=1&a=2&utm_source=rss"
    parsed = parse_page("guardian", page(), url)
    assert parsed.url == "https://www.theguardian.com/business/2024/may/01/x?a=2&b=1"
    assert parsed.id == article_id(parsed.url)
    report = run_chain([parsed], crawl_settings(NEWSALIGN_DB=str(db_path), NEWSALIGN_MIN_WORDS=10), spider="t")
    assert report.stored == 1
    assert rows(db_path, "SELECT id, url FROM articles") == [(parsed.id, parsed.url)]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01T08:30:00+02:00", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
        ("2024-05-01T06:30:00Z", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),  # naive: taken as UTC
        ("Wed, 01 May 2024 08:30:00 +0200", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),  # RSS
        ("May 1, 2024 6:30 AM UTC", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
        ("2024-05-01T08:30:00+99:00", None),
        ("not a date", None),
        ("", None),
        (None, None),
        (20240501, None),
        ("2024-05-01" + " " * 10 + "x" * 100, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_parse_date_hands_no_reader_a_huge_value(monkeypatch):
    def never(value):
        raise AssertionError(f"a {len(value)}-character value reached dateutil")

    monkeypatch.setattr(dates.dateutil_parser, "parse", never)
    assert parse_date("2024-05-01T" + "1" * 1_000_000) is None  # dateutil is quadratic on such input


def test_encodable_replaces_lone_surrogates_only():
    from newsalign.core.text import encodable

    assert encodable("caf\u00e9 \U0001f600") == "caf\u00e9 \U0001f600"
    assert encodable("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert encodable("\ud83d\ude00") == "\U0001f600"  # a valid pair is the character it stands for


def test_the_one_scrubber_hides_keys_and_passwords_together(monkeypatch):
    from newsalign.core.secrets import scrub

    for name in ("OPENAI_API_KEY", "SERPAPI_API_KEY", "GUARDIAN_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert scrub({"error": ["dbname=x password=s3 host=h"]}) == {
        "error": ["dbname=x password=*** host=h"]
    }  # no keys set
    key = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    assert scrub(f"postgresql://me:s3@db1/news refused {key}") == "postgresql://me:***@db1/news refused [redacted]"


def test_the_near_duplicate_lsh_parameters_are_the_ones_datasketch_chooses():
    from datasketch import MinHashLSH

    from newsalign.core import minhash

    chosen = MinHashLSH(threshold=minhash.THRESHOLD, num_perm=minhash.NUM_PERM)
    assert minhash.lsh_params() == minhash.THRESHOLD_PARAMS == (chosen.b, chosen.r)
    other = MinHashLSH(threshold=0.6, num_perm=minhash.NUM_PERM)
    assert minhash.lsh_params(0.6) == (other.b, other.r)


def test_a_signature_is_the_minhash_of_the_word_3_shingles_that_stored_lakes_hold():
    """Lakes store signatures (`article_fingerprints`) and compare new ones with them: the definition may not
    drift. Word 3-shingles, joined by one space; a text shorter than a shingle is one shingle of its words."""
    import numpy as np
    import xxhash
    from datasketch import MinHash

    from newsalign.core import minhash

    words = "the quick brown fox jumps over the lazy dog".split()
    for n in range(len(words) + 1):
        shingles = [" ".join(words[i : i + 3]) for i in range(max(1, n - 2))] if n >= 3 else [" ".join(words[:n])]
        expected = MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest, scheme="affine32")
        expected.update_batch([s.encode() for s in shingles])
        assert np.array_equal(minhash.signature(words[:n]).hashvalues, expected.hashvalues), n
    assert minhash.signature(words).hashvalues[:4].tolist() == [64168245, 560478200, 133709317, 777668946]


@pytest.mark.slow
def test_the_minhash_module_loads_without_scipy_integrate_and_leaves_it_importable():
    import subprocess
    import sys

    script = """
import sys
from newsalign.core import minhash
print("integrate loaded:", "scipy.integrate" in sys.modules)
print("default params:", minhash.lsh_params())
print("params for 0.6:", minhash.lsh_params(0.6))
from scipy.integrate import quad
print("real quad:", quad.__module__)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == "integrate loaded: False"
    assert lines[1] == "default params: (9, 13)"
    assert lines[2].startswith("params for 0.6: (") and lines[3] == "real quad: scipy.integrate._quadpack_py"
