"""`newsalign demo` enrichment and labels: the real enrich_llm / enrich_trends over the crawled sample,
fed from the recorded sample answers and the synthetic Trends exports, with no key and no network."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from newsalign.core.errors import NewsalignError
from newsalign.demo import DemoContext
from newsalign.demo.enrich import LABEL_QUERIES, LLM_ANSWERS, TRENDS_EXPORTS, enrich_step
from newsalign.enrich.trends.series import MonthlySeries, add_months
from newsalign.warehouse import connect

pytestmark = pytest.mark.xdist_group("demo")  # the tests sharing the one demo run (conftest.demo_run)

ROOT = Path(__file__).resolve().parents[1]
NO_ENDPOINT = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "NEWSALIGN_LLM_MODEL")


@pytest.fixture
def demo(demo_run):
    """The one offline demo run (crawl, summary, enrich, labels; conftest.demo_run): (db, printed lines)."""
    return demo_run.db, demo_run.printed()


@pytest.fixture
def con(demo):
    con = connect(demo[0], read_only=True)
    yield con
    con.close()


@pytest.mark.slow
def test_every_stored_article_has_a_recorded_llm_answer_and_no_call_was_made(demo, con):
    stored = con.execute("SELECT count(*) FROM v_articles_clean").fetchone()[0]
    assert stored >= 20
    assert con.execute("SELECT count(*), count(*) FILTER (mode = 'recorded') FROM int_llm_results").fetchone() == (
        stored,
        stored,
    )
    assert con.execute("SELECT DISTINCT mode, status FROM llm_calls").fetchall() == [("recorded", "ok")]
    assert con.execute("SELECT count(*) FROM llm_calls WHERE note NOT LIKE '%llm_responses.jsonl%'").fetchone()[0] == 0
    assert f"{stored} articles, {stored} already answered, 0 calls" in demo[1]


@pytest.mark.slow
def test_every_looked_up_topic_has_a_series_from_the_sample_exports(demo, con):
    stored = con.execute("SELECT count(*) FROM v_articles_clean").fetchone()[0]
    per_article = con.execute("SELECT topics_per_article FROM stg_label_params").fetchone()[0]
    statuses = dict(con.execute("SELECT status, count(*) FROM v_growth GROUP BY status").fetchall())
    assert statuses == {"ok": stored * per_article}
    assert con.execute("SELECT DISTINCT backend, status, anchor FROM trend_series").fetchall() == [
        ("csv", "ok", "published")
    ]
    # one series per topic, and every article's windows cover the ten years before its own month
    assert con.execute("SELECT count(*) = count(DISTINCT topic) FROM trend_series").fetchone()[0]
    assert con.execute("SELECT min(months), max(months) FROM v_growth").fetchone() == (120, 120)
    assert "0 failed" in demo[1]


@pytest.mark.slow
def test_v_signal_labels_every_article_once_with_non_trivial_rates(demo, con):
    stored = con.execute("SELECT count(*) FROM v_articles_clean").fetchone()[0]
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM v_signal").fetchone() == (stored, stored)
    articles, gpt, trend, union, kappa = con.execute(
        "SELECT articles, gpt_rate, trend_rate, union_rate, kappa FROM v_label_stats WHERE breakdown = 'all'"
    ).fetchone()
    assert articles == stored
    assert 0.15 <= gpt <= 0.35 and 0 < trend < 1 and max(gpt, trend) <= union < 1
    assert kappa is not None
    sources = {row[0] for row in con.execute("SELECT DISTINCT label_source FROM v_signal").fetchall()}
    assert {"gpt", "trend", "none"} <= sources
    out = demo[1]
    assert f"labelled articles    {stored} of {stored}" in out
    assert f"gpt_signal           {gpt:4.0%}" in out and f"signal (union)       {union:4.0%}" in out
    assert f"kappa with gpt {kappa:+.2f}" in out
    assert "rising rule" in out and out.count("first topics: ") == 4


@pytest.mark.slow
def test_printed_label_queries_run(demo, con):
    for query in LABEL_QUERIES:
        assert f'newsalign sql --db {demo[0]} "{query}"' in demo[1]
        assert con.sql(query).fetchall(), query
    assert "UPDATE label_params SET value = 'rising' WHERE name = 'trend_rule'" in demo[1]


@pytest.mark.slow
def test_live_mode_skips_the_sample_answers(demo, tmp_path, monkeypatch):
    """--live asks the configured endpoint for every article (here a loopback OpenAI stand-in) and
    Google Trends through pytrends (here a stub: no network in tests) instead of the sample data."""
    from tests.llm_server import FakeOpenAI

    db = tmp_path / "live"
    shutil.copytree(demo[0], db, ignore=shutil.ignore_patterns(".in-use"))
    with connect(db) as con:
        con.execute("DELETE FROM llm_calls")
        con.execute("DELETE FROM trend_series")
        stored = con.execute("SELECT count(*) FROM v_articles_clean").fetchone()[0]  # superseded copies are not asked
    for name in NO_ENDPOINT:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NewsalignError, match="OPENAI_API_KEY"):
        enrich_step(DemoContext(db=db, echo=lambda line: None, live=True))

    fetched: list[str] = []

    class StubTrends:
        name, delay = "pytrends", 0.0

        def fetch(self, topics, start, end, geo):
            fetched.extend(topics)
            months = tuple(add_months(start, i) for i in range(120))
            return {t: MonthlySeries(months=months, values=(100,) * 120, partial=(False,) * 120) for t in topics}

    monkeypatch.setattr("newsalign.enrich.trends.backends.PytrendsBackend", StubTrends)
    lines: list[str] = []
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        enrich_step(DemoContext(db=db, echo=lines.append, live=True))
        assert server.chat_requests == stored
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT DISTINCT mode FROM llm_calls").fetchall() == [("live",)]
        assert con.execute("SELECT DISTINCT backend FROM trend_series").fetchall() == [("pytrends",)]
        assert con.execute("SELECT count(DISTINCT topic) FROM trend_series").fetchone()[0] == len(set(fetched)) > 0
    assert f"{stored} calls: {stored} ok" in "\n".join(lines)


def test_sample_answers_are_marked_and_well_formed():
    records = [json.loads(line) for line in LLM_ANSWERS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len({r["url"] for r in records}) == len(records)
    for record in records:
        assert "not a model's output" in record["note"]
        topics = record["output"]["topics"]
        assert len(topics) == 10 and len({t.lower() for t in topics}) == 10, record["url"]
        assert record["output"]["rationale"].count(". ") == 0  # one sentence
    signals = sum(r["output"]["signal"] for r in records) / len(records)
    assert 0.2 <= signals <= 0.3
    general = [t for r in records for t in r["output"]["topics"][5:]]
    assert max(general.count(t) for t in set(general)) >= 5  # broad topics recur across articles


def test_trends_sample_is_marked_small_and_reproduced_by_its_script(tmp_path):
    assert "SAMPLE DATA" in (TRENDS_EXPORTS / "README.md").read_text()
    committed = {p.name: p.read_bytes() for p in TRENDS_EXPORTS.glob("*.csv")}
    assert sum(map(len, committed.values())) < 1_000_000
    spec = importlib.util.spec_from_file_location("make_demo_trends", ROOT / "scripts" / "make_demo_trends.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(tmp_path) == 0
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.csv")} == committed
    # the ten years before October and November 2026, the demo articles' months
    assert script.months()[0] <= (2016, 10) and script.months()[-1] == (2026, 10)
