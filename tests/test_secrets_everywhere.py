"""One scrubber for every secret shape, applied everywhere (issue 20): a password planted in each place an
argument, a setting or an environment variable can carry one never shows in stdout, stderr, a log file or
any row of the lake afterwards; `scrub` hides it wherever it sits in a URL, a libpq string or a query, and
leaves text without secrets as it was."""

from __future__ import annotations

import gzip
import logging
import logging.handlers
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import guard_logs, scrub
from newsalign.warehouse import connect
from newsalign.warehouse.lake import CATALOG_FILE, load_sql
from tests.ccnews_warcs import ArchiveServer
from tests.helpers import ROOT, copy_lake, quiet_settings
from tests.hostile import PASSWORD, Outcome, assert_refused, run_cli
from tests.llm_server import FakeOpenAI
from tests.loopback import free_port
from tests.watch_support import WatchSite, import_articles


def lake_leaks(db, secret: str = PASSWORD) -> list[str]:
    """Where `secret` sits in the lake at `db`: each row that holds it (`table: row`), and each file of a local
    lake's folder whose bytes hold it (the catalog, Parquet). A local lake's rows are read from its storage
    itself (every table of the SQLite catalog, inlined rows among them, and every Parquet file, rows deleted
    since included): as thorough as reading each table through DuckLake, and ~5x cheaper (every DuckLake
    table read costs its catalog queries). A PostgreSQL lake's are read through DuckLake."""
    if str(db).startswith("postgres:"):
        return _leaks_through_ducklake(db, secret)
    leaks = [str(f) for f in Path(db).rglob("*") if f.is_file() and secret.encode() in f.read_bytes()]
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    try:
        for statement in load_sql("sqlite"):
            con.execute(statement)
        con.execute(f"ATTACH '{Path(db) / CATALOG_FILE}' AS catalog (TYPE sqlite, READ_ONLY)")
        names = {name for (name,) in con.execute("SELECT table_name FROM catalog.ducklake_table").fetchall()}
        assert {"llm_calls", "crawl_runs"} <= names, names  # the catalog read is the lake's
        tables = [
            t
            for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'catalog'").fetchall()
        ]
        sources = [(table, f'catalog."{table}"') for table in tables]
        sources += [(f.name, f"read_parquet('{f}')") for f in sorted(Path(db).rglob("*.parquet"))]
        for name, source in sources:
            hits = con.execute(f"SELECT CAST(x AS VARCHAR) FROM {source} AS x WHERE contains(CAST(x AS VARCHAR), ?)",
                               [secret]).fetchall()  # fmt: skip
            leaks += [f"{name}: {row}" for (row,) in hits]
    finally:
        con.close()
    return leaks


def _leaks_through_ducklake(db, secret: str) -> list[str]:
    leaks = []
    with connect(db, read_only=True) as con:
        tables = [
            t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()
        ]
        assert "llm_calls" in tables and "crawl_runs" in tables, tables  # the query sees the lake's tables
        for table in tables:
            leaks += [
                f"{table}: {row}" for row in con.execute(f'SELECT * FROM "{table}"').fetchall() if secret in str(row)
            ]
    return leaks


def assert_nothing_leaked(outcome: Outcome, db=None, *, logs: tuple[Path, ...] = ()) -> None:
    """No planted password in stdout, stderr, the log files, or (when `db` is a lake) any row of it."""
    assert PASSWORD not in outcome.output, f"printed:\n{outcome.output}"
    for log in logs:
        assert PASSWORD not in log.read_text(errors="replace"), f"in {log}:\n{log.read_text(errors='replace')}"
    if db is not None:
        assert lake_leaks(db) == []


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """No real key or endpoint of the machine's; a data path for postgres: locations."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SERPAPI_API_KEY", "GUARDIAN_API_KEY", "NEWSALIGN_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSALIGN_DATA_PATH", str(tmp_path / "lake-data"))


@pytest.fixture(scope="module")
def six_articles(tmp_path_factory) -> Path:
    """A lake holding six imported articles, made once per module (per xdist worker)."""
    folder = tmp_path_factory.mktemp("six-articles")
    import_articles(folder / "lake", folder, 6)
    return folder / "lake"


@pytest.fixture
def lake(six_articles, tmp_path) -> Path:
    """A lake of this test's own holding six imported articles (for the commands that need some)."""
    return copy_lake(six_articles, tmp_path / "lake")


# Where a password rides in a postgres: location (`port` closed: the catalog is unreachable).
DB_SHAPES = {
    "uri": "postgres:postgresql://u:{pw}@127.0.0.1:{port}/x",  # the issue's: a path normaliser makes it `:/u:`
    "uri-3-slashes": "postgres:postgresql:///x?host=127.0.0.1&port={port}&user=u&password={pw}",
    "keyword": "postgres:dbname=x host=127.0.0.1 port={port} user=u password={pw}",
    "keyword-quoted": "postgres:dbname=x host=127.0.0.1 port={port} password='{pw} it\\'s'",
}


def db_shape(name: str) -> str:
    return DB_SHAPES[name].format(pw=PASSWORD, port=free_port())


# Every command taking --db, with what else it needs to reach the warehouse.
DB_COMMANDS = {
    "sql": ["sql", "SELECT 1"],
    "compact": ["compact"],
    "merge": ["merge", "{lake}"],
    "import": ["import", "{jsonl}", "--source", "x"],
    "enrich-llm": ["enrich", "llm", "--dry-run", "--base-url", "http://127.0.0.1:9/v1"],
    "enrich-trends": ["enrich", "trends", "--dry-run"],
    "export-dataset": ["export", "dataset", "--out", "{tmp}/out"],
    "crawl-all": ["crawl", "all", "--sources", "bbc", "--site", "bbc=http://127.0.0.1:9"],
    "crawl-ccnews": ["crawl", "ccnews", "--warc", "{tmp}/none.warc.gz"],
    "shell": ["shell", "-c", "SELECT 1"],
    "review": ["review"],
}


# The commands with every shape; the others with the shape the issue reports.
DB_CASES = [(c, s) for c in DB_COMMANDS for s in (DB_SHAPES if c in ("sql", "compact", "merge") else ["uri"])]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "shape"), DB_CASES)
def test_a_password_in_db_is_never_printed(command, shape, tmp_path, lake):
    """`--db postgres:postgresql://u:PASSWORD@host/x` and its kin, through every command taking --db."""
    (tmp_path / "a.jsonl").write_text('{"title": "t", "text": "words"}\n')
    fill = {"lake": str(lake), "jsonl": str(tmp_path / "a.jsonl"), "tmp": str(tmp_path)}
    args = [arg.format(**fill) for arg in DB_COMMANDS[command]]
    outcome = run_cli([*args, "--db", db_shape(shape)])
    assert outcome.exit_code != 0
    assert_nothing_leaked(outcome, lake)


@pytest.mark.slow
@pytest.mark.parametrize("shape", DB_SHAPES)
def test_a_password_in_newsalign_db_is_never_printed(shape):
    assert_refused(run_cli(["sql", "SELECT 1"], env={"NEWSALIGN_DB": db_shape(shape)}))


@pytest.mark.slow
@pytest.mark.parametrize("shape", DB_SHAPES)
def test_merge_never_prints_the_password_of_a_lake_to_merge(shape, lake):
    """merge hid the location in its own text, then printed DuckDB's raw error quoting it."""
    outcome = run_cli(["merge", db_shape(shape), "--db", str(lake)])
    assert_refused(outcome)
    assert_nothing_leaked(outcome, lake)


BASE_URLS = {
    "userinfo": "http://u:{pw}@127.0.0.1:{port}/v1",
    "api-key": "http://127.0.0.1:{port}/v1?api-key={pw}",
    "api_key": "http://127.0.0.1:{port}/v1?x=1&api_key={pw}",
}


@pytest.mark.slow
@pytest.mark.parametrize("how", ["--base-url", "OPENAI_BASE_URL"])
@pytest.mark.parametrize("shape", BASE_URLS)
def test_a_password_in_the_llm_endpoint_is_never_printed_or_stored(how, shape, lake):
    """`enrich llm --base-url http://u:PASSWORD@host/v1` (and `?api-key=`), as an option or $OPENAI_BASE_URL:
    unreachable, then reachable (the answers and their records stored)."""
    for port in (free_port(), None):
        with FakeOpenAI() as server:
            url = BASE_URLS[shape].format(pw=PASSWORD, port=port or server.url.split(":")[-1].split("/")[0])
            where = (["--base-url", url], {}) if how == "--base-url" else ([], {"OPENAI_BASE_URL": url})
            args = ["enrich", "llm", "--db", str(lake), "--max-retries", "0", "--limit", "2", *where[0]]
            outcome = run_cli(args, env=where[1])
            if port:
                assert_refused(outcome)
            elif shape == "userinfo":  # (the SDK appends its paths after a query: the stand-in answers 404)
                assert outcome.exit_code == 0, outcome.output
                assert server.chat_requests == 2  # it did reach the server: rows were stored
            assert_nothing_leaked(outcome, lake)


@pytest.mark.slow
def test_a_password_in_crawl_plan_nodes_is_never_printed(lake):
    for node in (f"http://admin:{PASSWORD}@127.0.0.1:{free_port()}", f"admin:{PASSWORD}@127.0.0.1:{free_port()}"):
        outcome = run_cli(["crawl", "plan", "--since", "2026-11", "--until", "2026-11", "--sources", "bbc",
                           "--nodes", node, "--db", str(lake)])  # fmt: skip
        assert_refused(outcome)
        assert_nothing_leaked(outcome, lake)


@pytest.mark.slow
def test_a_password_in_the_watch_webhook_is_never_printed_or_stored(tmp_path):
    """`watch --webhook http://u:PASSWORD@127.0.0.1:1/x`: the LLM finds signals, every delivery fails, and
    the failures are recorded."""
    db = tmp_path / "lake"
    with FakeOpenAI() as server, WatchSite(tmp_path) as site:
        outcome = run_cli(
            ["watch", "--once", "--enrich", "llm", "--sources", "bbc", "--site", f"bbc={site.url}", "--db", str(db),
             "--webhook", f"http://u:{PASSWORD}@127.0.0.1:{free_port()}/x?token={PASSWORD}",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSALIGN_ENRICH_RETRIES=0"],
            env={"OPENAI_BASE_URL": server.url},
        )  # fmt: skip
    assert_nothing_leaked(outcome, db)
    with connect(db, read_only=True) as con:
        failed = con.execute("SELECT count(*) FROM watch_deliveries WHERE status = 'failed'").fetchone()[0]
    assert failed > 0, outcome.output  # the webhook was tried, and its failures stored


@pytest.mark.slow
def test_a_password_in_the_ccnews_server_is_never_printed_or_stored(tmp_path, lake):
    """`crawl ccnews --server http://u:PASSWORD@host/`: a listed file that is missing fails, and is recorded."""
    listing = tmp_path / "archive/crawl-data/CC-NEWS/2024/05/warc.paths.gz"
    listing.parent.mkdir(parents=True)
    listing.write_bytes(gzip.compress(b"crawl-data/CC-NEWS/2024/05/CC-NEWS-20240501000000-00001.warc.gz\n"))
    server = ArchiveServer(tmp_path / "archive")
    try:
        url = server.url.replace("http://", f"http://u:{PASSWORD}@") + f"?key={PASSWORD}&"
        outcome = run_cli(["crawl", "ccnews", "--since", "2024-05-01", "--sources", "bbc", "--server", url,
                           "--attempts", "1", "--backoff", "0", "--db", str(lake)])  # fmt: skip
    finally:
        server.close()
    assert outcome.exit_code != 0
    assert_nothing_leaked(outcome, lake)
    with connect(lake, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ccnews_files WHERE status = 'failed'").fetchone()[0] == 1


def scrapy(args: list[str], env: dict[str, str] | None = None) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("shape", DB_SHAPES)
@pytest.mark.parametrize("how", ["-s", "environment"])
def test_a_password_in_newsalign_db_never_reaches_scrapys_log(how, shape, tmp_path):
    """`scrapy crawl bbc -s NEWSALIGN_DB=postgres:...password...` with the catalog unreachable: refused before
    the crawl in one `Error:` line (the preflight), which, like Scrapy's log on stderr or in LOG_FILE, never
    shows the password."""
    db, log = db_shape(shape), tmp_path / "crawl.log"
    args = ["crawl", "bbc", "-a", f"site=http://127.0.0.1:{free_port()}", *quiet_settings("LOG_LEVEL=DEBUG")]
    setting = ["-s", f"NEWSALIGN_DB={db}"] if how == "-s" else []
    env = {"NEWSALIGN_DB": db} if how == "environment" else {}
    outcome = scrapy([*args, *setting], env)
    assert_refused(outcome, says="cannot reach the PostgreSQL catalog")
    outcome = scrapy([*args, *setting, "-s", f"LOG_FILE={log}"], env)
    assert_refused(outcome, says="cannot reach the PostgreSQL catalog")
    assert_nothing_leaked(outcome, logs=(log,))


@pytest.mark.slow
def test_a_crawl_into_a_postgres_lake_stores_no_password(postgres_lake, tmp_path):
    """A crawl whose NEWSALIGN_DB carries a password (the loopback cluster trusts, so it is only to be
    hidden) stores its run and rejects: no row of the lake holds the password."""
    db, log = f"{postgres_lake} password={PASSWORD}", tmp_path / "crawl.log"
    outcome = scrapy(["crawl", "bbc", "-a", f"site=http://127.0.0.1:{free_port()}",
                      *quiet_settings(f"NEWSALIGN_DB={db}", f"LOG_FILE={log}", "LOG_LEVEL=DEBUG")])  # fmt: skip
    assert_nothing_leaked(outcome, db, logs=(log,))
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1  # it did write the lake


@pytest.mark.slow
def test_a_password_in_a_spiders_site_never_reaches_a_log_or_a_row(tmp_path, lake):
    """`scrapy crawl bbc -a site=http://u:PASSWORD@host/?key=PASSWORD`: every download fails, logged and
    stored as rejects (their URL and error), all scrubbed."""
    log = tmp_path / "crawl.log"
    site = f"http://u:{PASSWORD}@127.0.0.1:{free_port()}/?key={PASSWORD}"
    outcome = scrapy(["crawl", "bbc", "-a", f"site={site}",
                      *quiet_settings(f"NEWSALIGN_DB={lake}", f"LOG_FILE={log}", "LOG_LEVEL=DEBUG")])  # fmt: skip
    assert_nothing_leaked(outcome, lake, logs=(log,))
    with connect(lake, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM article_rejects WHERE stage = 'download'").fetchone()[0] > 0


@pytest.mark.slow
def test_an_api_key_that_is_not_printable_ascii_is_refused_where_it_is_read(lake):
    """A key with a non-ASCII character once 'succeeded', storing each failure as 'invalid JSON'."""
    key = f"sk-{PASSWORD}-caf\u00e9"
    with FakeOpenAI() as server:
        outcome = run_cli(["enrich", "llm", "--db", str(lake), "--limit", "1"],
                          env={"OPENAI_API_KEY": key, "OPENAI_BASE_URL": server.url})  # fmt: skip
        assert server.chat_requests == 0
    assert_refused(outcome, planted=(PASSWORD, key), says="$OPENAI_API_KEY must be printable ASCII")
    with connect(lake, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == 0


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "SERPAPI_API_KEY", "GUARDIAN_API_KEY"])
@pytest.mark.parametrize("bad", ["\u00e9", "\n", "\x7f", "\u200b", "\t"])
def test_every_key_is_read_as_printable_ascii(variable, bad, monkeypatch):
    from newsalign.core.secrets import api_key

    monkeypatch.setenv(variable, f"sk-{PASSWORD}{bad}x")
    with pytest.raises(NewsalignError) as refused:
        api_key(variable)
    assert PASSWORD not in str(refused.value) and variable in str(refused.value)
    monkeypatch.setenv(variable, f" sk-{PASSWORD} ")
    assert api_key(variable) == f"sk-{PASSWORD}"
    monkeypatch.setenv(variable, "  ")
    assert api_key(variable) is None


def test_every_log_record_is_scrubbed_without_a_key_set(caplog):
    """guard_logs scrubbed only when an API key was set: passwords are scrubbed always, tracebacks too."""
    guard_logs()
    logger = logging.getLogger("newsalign.test.secrets")
    with caplog.at_level(logging.INFO, logger="newsalign.test.secrets"):
        logger.info("Overridden settings: %s", {"NEWSALIGN_DB": f"postgres:dbname=x password={PASSWORD}"})
        try:
            raise RuntimeError(f"Unable to connect to Postgres at postgresql:/u:{PASSWORD}@h/x")
        except RuntimeError:
            logger.exception("attach failed")
    text = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "Overridden settings" in text and "RuntimeError" in text and "Traceback" in text
    assert PASSWORD not in text


def test_a_log_record_is_formatted_and_scrubbed_only_when_shown():
    """Records below a handler's level (Scrapy's DEBUG line per item) are never formatted; one shown is
    formatted once, scrubbed, and holds no raw argument afterwards."""
    guard_logs()
    formatted = []

    class Item:
        def __str__(self) -> str:
            formatted.append(1)
            return f"item at postgresql://u:{PASSWORD}@h/x"

    logger = logging.getLogger("newsalign.test.lazy")
    logger.setLevel(logging.DEBUG)  # every record is made, as under Scrapy (root at NOTSET)
    logger.propagate = False  # pytest's capturing handler on the root would format every record
    shown = logging.handlers.BufferingHandler(10)
    shown.setLevel(logging.INFO)
    logger.addHandler(shown)
    try:
        logger.debug("Scraped %s", Item())
        logger.info("Stored %s", Item())
    finally:
        logger.removeHandler(shown)
    assert formatted == []  # nothing formatted yet: the INFO record waits in the buffer
    (record,) = shown.buffer
    text = logging.Formatter().format(record)
    assert text.startswith("Stored item at postgresql://u:") and PASSWORD not in text
    assert formatted == [1] and record.args == () and str(record.msg) == text  # formatted once, then kept


# --- the scrubber itself, property-tested ------------------------------------------------------------------
# A password: letters, digits and every printable character a URL's userinfo or a libpq string may carry.
passwords = st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "S"], exclude_characters="*"),
    min_size=6,
    max_size=24,
)
USERINFO_SAFE = "-._~!$&'()+,;=:"  # RFC 3986 userinfo: unreserved, sub-delims and ':' as they are; the rest %-encoded


def _without(p: str, characters: str) -> str:
    return "".join(c for c in p if c not in characters) or "pw"


def _libpq_quoted(p: str) -> str:
    return "'" + p.replace("\\", "\\\\").replace("'", "\\'") + "'"


# Where a password goes: (the text around it, the password as written there).
PLACES = {
    "uri": ("postgresql://me:{}@db1:5432/news", lambda p: quote(p, safe=USERINFO_SAFE)),
    "uri-one-slash": ("postgres:postgresql:/me:{}@db1/news", lambda p: quote(p, safe=USERINFO_SAFE)),
    "uri-three-slashes": ("postgresql:///me:{}@db1/news", lambda p: quote(p, safe=USERINFO_SAFE)),
    "no-scheme": ("admin:{}@host:6800", lambda p: quote(p, safe=USERINFO_SAFE)),
    "raw-userinfo": ("http://u:{}@h/x", lambda p: _without(p, '/?#"<>')),  # unescaped '@', ':', quotes
    "query-api-key": ("https://api.example.com/v1?model=m&api-key={}&x=1", lambda p: quote(p, safe="")),
    "query-api_key": ("https://api.example.com/v1?api_key={}", lambda p: quote(p, safe="")),
    "query-token": ("http://h/hook?access_token={}#top", lambda p: quote(p, safe="")),
    "query-key": ("http://h/?key={};x", lambda p: quote(p, safe="")),
    "query-password": ("postgresql://h/db?user=u&password={}", lambda p: quote(p, safe="")),
    "libpq-quoted": ("dbname=news password={} host=db1", _libpq_quoted),
    "libpq-plain": ("host=db1 PASSWORD={}", lambda p: _without(p, "\\'\"")),
    "libpq-spaced": ("host=db1 password = {} port=1", lambda p: _without(p, "\\'\"")),
}


@settings(max_examples=25, deadline=None)
@given(
    password=passwords,
    place=st.sampled_from(sorted(PLACES)),
    before=st.sampled_from(["", "Error: cannot reach ", 'at "', "{'NEWSALIGN_DB': 'postgres:", "(", "x "]),
    after=st.sampled_from(["", '": refused', "'}", ") and more", " port=5432", ", retry", ": refused", "."]),
)
def test_scrub_hides_a_password_wherever_it_goes(password, place, before, after):
    template, written = PLACES[place]
    form = written(password)
    assume(form not in before + template + after and password not in before + template + after)
    text = scrub(before + template.format(form) + after)
    assert form not in text and password not in text, text
    assert scrub(text) == text  # scrubbing twice changes nothing


ordinary = st.lists(
    st.one_of(
        st.sampled_from(["Error:", "cannot", "reach", "the", "catalog", "at", "12:30", "a=b", "x == y", "50%"]),
        st.sampled_from(
            [
                "https://www.bbc.com/news/articles/c7m1r4z9d2eo",
                "http://127.0.0.1:6800/schedule.json",
                "https://example.com/search?q=battery&page=2#top",
                "me@example.com",
                "mailto:me@example.com",
                "dbname=news host=db1 port=5432 user=news",
                "postgres:dbname=x",
                "user@host",
                "{'a': 'b'}",
                '{"key_id": 3, "monkey": "see"}',
                "SELECT count(*) FROM articles WHERE x = 'y'",
            ]
        ),  # fmt: skip
        st.text(alphabet=st.characters(exclude_characters="@=:?&;"), max_size=30),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(words=ordinary, separator=st.sampled_from([" ", "\n", ", "]))
def test_scrub_leaves_text_without_secrets_unchanged(words, separator):
    text = separator.join(words)
    assert scrub(text) == text


def test_scrub_stays_cheap_on_long_text():
    """A megabyte of text that nearly matches every shape, scrubbed in well under a second each."""
    import time

    for text in ("a:b," * 250_000, ":a" * 500_000 + "@", "a@" * 500_000, "password=x&" * 90_000, "word " * 200_000):
        started = time.perf_counter()
        scrub(text)
        assert time.perf_counter() - started < 2.0, text[:20]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_key_in_a_discovery_url_is_not_stored_with_its_validators(tmp_path, monkeypatch):
    """Conditional GET keeps each feed's ETag under its URL, and the Guardian's API URL carries the key:
    the lake keeps the URL scrubbed, and the next crawl still finds the validator."""
    from scrapy import Request
    from scrapy.http import Response

    from tests.test_conditional import _crawl

    key = f"gk-{PASSWORD}"
    monkeypatch.setenv("GUARDIAN_API_KEY", key)
    url = f"http://127.0.0.1:1/search?page=1&api-key={key}"
    db = tmp_path / "lake"
    middleware, writer = _crawl(db)
    request = Request(url, meta={"discovery": "api"})
    middleware.process_request(request)
    middleware.process_response(
        request, Response(url, status=200, headers={"ETag": '"v1"'}, body=b"{}", request=request)
    )
    middleware.spider_closed(None, "finished")
    writer.close()
    assert lake_leaks(db) == [] and lake_leaks(db, key) == []
    middleware, writer = _crawl(db)
    again = Request(url, meta={"discovery": "api"})
    middleware.process_request(again)
    assert again.headers.get("If-None-Match") == b'"v1"'
    writer.close()
