"""Bad crawl input refused once, before anything starts: `-s NAME=VALUE` checked against the settings Scrapy and
newsalign define (closest name offered) and by type; `crawl all` checks its settings and its warehouse once, not
once per spider; `scrapy crawl` refuses an unknown spider naming the known ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scrapy.settings import default_settings

from newsalign.core.errors import NewsalignError
from newsalign.crawler import settings as ours
from newsalign.crawler.config import NewsalignSettings, SettingError, checked_setting, known_settings
from tests.hostile import Outcome, assert_refused, bad_numbers, invoke, run_cli
from tests.loopback import free_port

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class Started(BaseException):
    """A crawl began although its input was bad."""


@pytest.fixture
def no_crawl(monkeypatch):
    def started(*args, **kwargs):
        raise Started(f"crawl started: {args} {kwargs}")

    monkeypatch.setattr("scrapy.crawler.AsyncCrawlerProcess.start", started)
    monkeypatch.setattr("newsalign.jobs.watch.loop.watch", started)


def scrapy(*args: str) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


# --- -s NAME=VALUE ---------------------------------------------------------------------------------

SETTING_NAMES = sorted(known_settings())


@given(name=st.sampled_from(SETTING_NAMES))
@settings(max_examples=25, deadline=None)
def test_every_defined_setting_takes_its_own_default(name):
    """No false refusal: each setting Scrapy or newsalign defines takes the value it has by default."""
    fields = NewsalignSettings.model_fields
    default = getattr(ours, name, getattr(default_settings, name, fields[name].default if name in fields else None))
    try:
        text = default if isinstance(default, str) else json.dumps(default)
    except TypeError:
        assume(False)  # an object (a class), not something typed on a command line
    assert checked_setting(name, text)[0] == name


@given(name=st.sampled_from(SETTING_NAMES), typo=st.sampled_from(["Y", "_X", "S"]))
@settings(max_examples=25, deadline=None)
def test_a_typo_in_a_setting_name_is_refused_with_a_defined_name(name, typo):
    wrong = name + typo
    assume(wrong not in SETTING_NAMES and not wrong.startswith("PLAYWRIGHT_"))
    with pytest.raises(SettingError, match=r"no such setting \(did you mean ") as refused:
        checked_setting(wrong, "1")
    suggested = str(refused.value).split("did you mean ")[1].rstrip("?)")
    assert suggested in SETTING_NAMES


# A setting newsalign defines, and the values of `bad_numbers` it rightly takes.
NUMERIC_SETTINGS = {
    "NEWSALIGN_MIN_WORDS": {"0", "99999999999999999999999"},
    "NEWSALIGN_MAX_WORDS": {"99999999999999999999999"},
    "NEWSALIGN_MIN_YEAR": set(),
    "NEWSALIGN_NEAR_DUP_THRESHOLD": set(),
    "NEWSALIGN_STORE_BATCH": {"99999999999999999999999"},
    "NEWSALIGN_STORE_FLUSH_SECONDS": {"99999999999999999999999"},
    "NEWSALIGN_ENRICH_CONCURRENCY": set(),
    "NEWSALIGN_ENRICH_RPM": {"99999999999999999999999"},
    "NEWSALIGN_ENRICH_TIMEOUT": {"99999999999999999999999"},
    "NEWSALIGN_ENRICH_RETRIES": {"0", "99999999999999999999999"},
    "CONCURRENT_REQUESTS": {"-1", "0", "-0.5", "99999999999999999999999"},  # Scrapy's: its type only
}


@FAST
@given(name=st.sampled_from(sorted(NUMERIC_SETTINGS)), value=bad_numbers, command=st.sampled_from(["all", "watch"]))
def test_a_bad_setting_value_is_refused_before_any_crawl(no_crawl, name, value, command):
    assume(value not in NUMERIC_SETTINGS[name])
    argv = ["crawl", "all"] if command == "all" else ["watch", "--enrich", "llm", "--once"]
    assert_refused(invoke([*argv, "-s", f"{name}={value}", "--db", "/proc/nope/lake"]), says=f"-s {name}")


def test_a_typo_in_a_setting_is_refused_with_the_closest_name(no_crawl):
    outcome = invoke(["crawl", "all", "-s", "DOWNLOAD_DELAYY=2"])
    assert_refused(outcome)
    assert "Error: -s DOWNLOAD_DELAYY: no such setting (did you mean DOWNLOAD_DELAY?)" in outcome.stderr


def test_a_setting_of_the_reuters_browser_addon_is_taken():
    assert checked_setting("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", "30000") == (
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT",
        30000,
    )


# --- crawl all: once, before any spider -----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--db", "/proc/nope/lake"],  # a folder that cannot be made
        ["--db", "{file}"],  # a file, not a lake
        ["-s", "CONCURRENT_REQUESTS=abc"],
        ["-s", "NEWSALIGN_NEAR_DUP_THRESHOLD=2"],
    ],
    ids=["unmakeable db", "file as db", "bad scrapy value", "bad newsalign value"],
)
@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_crawl_all_reports_a_bad_warehouse_or_setting_once(tmp_path, args):
    """A real process, every spider chosen: one line, no traceback per spider, no "crawl first" hint."""
    (tmp_path / "file").write_text("not a lake")
    argv = ["crawl", "all", *(a.format(file=tmp_path / "file") for a in args)]
    if "--db" not in args:
        argv += ["--db", str(tmp_path / "lake")]
    outcome = run_cli([*argv, *(f"--site={s}=http://127.0.0.1:9" for s in ("bbc", "guardian"))], timeout=120)
    assert_refused(outcome)
    assert "crawl first" not in outcome.output


def test_crawl_sources_checks_settings_and_warehouse_before_any_spider(tmp_path, monkeypatch):
    """The library call too (crawls of `watch` run through it)."""
    from newsalign.jobs.crawl_all import crawl_sources

    monkeypatch.setattr("scrapy.crawler.AsyncCrawlerProcess.__init__", lambda *a, **k: (_ for _ in ()).throw(Started()))
    with pytest.raises(SettingError, match="DOWNLOAD_DELAYY"):
        crawl_sources(["bbc"], settings={"DOWNLOAD_DELAYY": 2}, spider_args={})
    (tmp_path / "file").write_text("x")
    with pytest.raises(NewsalignError, match="not a warehouse folder"):
        crawl_sources(["bbc"], settings={"NEWSALIGN_DB": str(tmp_path / "file")}, spider_args={})


# --- scrapy crawl ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuchspider"], "no spider named 'nosuchspider' (known: bbc, guardian, reuters"),
        (["bbcc"], "did you mean bbc?"),
        (["bbc", "-s", "DOWNLOAD_DELAYY=2"], "-s DOWNLOAD_DELAYY: no such setting (did you mean DOWNLOAD_DELAY?)"),
        (["bbc", "-s", "NEWSALIGN_MIN_WORDS=-5"], "-s NEWSALIGN_MIN_WORDS"),
    ],
    ids=["unknown", "close", "typo setting", "bad value"],
)
def test_scrapy_crawl_refuses_before_crawling(args, says):
    outcome = scrapy(*args)
    assert_refused(outcome, says=says)
    assert outcome.exit_code == 2


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_scrapy_crawl_stops_in_one_line_when_its_warehouse_cannot_be_opened(tmp_path, monkeypatch):
    """A warehouse that is a file, or a catalog nobody answers for, is found before the crawl (the preflight):
    one `Error:` line and exit 1, where the pipelines found it inside the crawl and Scrapy printed tracebacks
    (an AssertionError of its own among them) and exited 0 or 1."""
    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / "lake-data"))  # a postgres: lake's data folder
    (tmp_path / "a-file").write_text("not a lake")
    port = free_port()
    for db, says in (
        (str(tmp_path / "a-file"), "is a file, not a warehouse folder"),
        (f"postgres:dbname=x host=127.0.0.1 port={port}", "cannot reach the PostgreSQL catalog"),
    ):
        outcome = scrapy("bbc", "-a", f"site=http://127.0.0.1:{port}", "-s", f"NEWSALIGN_DB={db}")
        assert_refused(outcome, says=says)
        assert outcome.exit_code == 1 and "Spider opened" not in outcome.stderr, outcome.stderr
