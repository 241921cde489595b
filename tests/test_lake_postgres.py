"""The PostgreSQL catalog: down in the middle of a real crawl (the crawl stops with one line and what it
committed, the re-run stores the rest exactly once), and one-line errors that never show a password."""

from __future__ import annotations

import time

import pytest

from bench.bench_crawl import build_large_site
from newsalign.demo.server import RequestLog, serve_sample
from newsalign.warehouse import connect
from newsalign.warehouse.db import WarehouseError
from tests.helpers import rows, scrapy_crawl
from tests.loopback import free_port

PAGES = 40
SECRET = "hunter2-not-shown"


def stored(db: str) -> int:
    """Articles in the lake (0 before the crawl has created it)."""
    try:
        return rows(db, "SELECT count(*) FROM articles")[0][0]
    except WarehouseError:
        return 0


@pytest.mark.slow
def test_catalog_down_mid_crawl_stops_it_cleanly_and_the_rerun_resumes(postgres, postgres_lake, tmp_path):
    db = f"{postgres_lake} password={SECRET}"  # the cluster trusts loopback: the password is only to be hidden
    site = tmp_path / "site"
    build_large_site(site, PAGES)
    log = RequestLog()
    with serve_sample(("techcrunch",), log=log, root=site, delay=0.05) as sites:
        first = scrapy_crawl(db, sites["techcrunch"], "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        deadline = time.monotonic() + 120
        while stored(db) < 8 and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read()[-3000:]
            time.sleep(0.2)
        postgres.stop()
        try:
            first.wait(timeout=60)  # ends by itself: no hang, no retrying forever
            err = first.stderr.read()
        finally:
            postgres.start()
        assert 8 <= stored(db) < PAGES
        second = scrapy_crawl(db, sites["techcrunch"], "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        assert second.wait(timeout=300) == 0, second.stderr.read()[-3000:]
    stopped = [line for line in err.splitlines() if "cannot write to the warehouse" in line]
    assert len(stopped) == 1 and "Traceback" not in err and SECRET not in err, err[-3000:]
    assert "stopping the crawl" in stopped[0] and "password=***" in stopped[0]
    assert rows(db, "SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM articles") == [(PAGES,) * 3]
    runs = rows(db, "SELECT status, finished IS NULL FROM crawl_runs ORDER BY started")
    assert runs == [("interrupted", True), ("finished", False)]


def test_an_unreachable_catalog_is_one_line_without_its_password(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / "data"))
    db = f"postgres:dbname=news host=127.0.0.1 port={free_port()} user=news password={SECRET}"
    for read_only in (False, True):
        with pytest.raises(WarehouseError) as caught:
            connect(db, read_only=read_only)
        message = str(caught.value)
        assert message.startswith("cannot reach the PostgreSQL catalog postgres:dbname=news host=127.0.0.1")
        assert "Connection refused" in message and "password=***" in message
        assert SECRET not in message and "\n" not in message


def test_a_postgres_location_needs_its_data_path(monkeypatch):
    monkeypatch.delenv("NEWSALIGN_DATA_PATH", raising=False)
    with pytest.raises(WarehouseError) as caught:
        connect(f"postgres:dbname=news host=127.0.0.1 password={SECRET}")
    message = str(caught.value)
    assert message.startswith("postgres:dbname=news host=127.0.0.1 password=*** needs $NEWSALIGN_DATA_PATH")
    assert SECRET not in message


@pytest.mark.parametrize("data_path", ["file/data", "/sys/newsalign-lake-data"])
def test_an_unwritable_data_path_is_refused_at_open(tmp_path, monkeypatch, data_path):
    (tmp_path / "file").write_text("a file where the data folder's parent belongs")
    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / data_path))
    with pytest.raises(WarehouseError, match=r"cannot write the data of postgres:dbname=news password=\*\*\* to "):
        connect(f"postgres:dbname=news password={SECRET}")


def test_the_cli_prints_the_error_without_the_password(tmp_path, monkeypatch, capsys):
    from newsalign.cli import main

    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / "data"))
    db = f"postgres:dbname=news host=127.0.0.1 port={free_port()} password={SECRET}"
    assert main(["sql", "SELECT 1", "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot reach the PostgreSQL catalog") and len(err.strip().splitlines()) == 1
    assert SECRET not in err


def test_scrub_hides_every_form_of_password():
    from newsalign.core.secrets import scrub

    assert scrub("dbname=x password=s3 host=h") == "dbname=x password=*** host=h"
    assert scrub("dbname=x password = 'a b\\' c' host=h") == "dbname=x password = *** host=h"
    assert scrub('at "dbname=x PASSWORD=s3": refused') == 'at "dbname=x PASSWORD=***": refused'
    assert scrub("postgresql://me:s3@db1/news") == "postgresql://me:***@db1/news"
    assert scrub("dbname=x host=h") == "dbname=x host=h"
