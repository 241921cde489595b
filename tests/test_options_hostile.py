"""Every command's options refused where they are read, by type: one `Error:` line naming the option, before
any work starts (hypothesis over the option values a mistaken or hostile user types; named cases from issue 20).

Work that would start is replaced by a stand-in that raises `Started` (not an `Exception`, so the root group's
net cannot turn it into a clean-looking refusal): a bad value that gets that far fails the test."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import click
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.helpers import build_lake
from tests.hostile import PASSWORD, assert_refused, bad_numbers, bad_texts, invoke


class Started(BaseException):
    """Work began although a value was bad (a BaseException: no `except Exception` hides it)."""


WORK = (  # what each command would start once its options are read
    "newsalign.jobs.crawl_all.crawl_sources",
    "newsalign.jobs.plan.planner.Planner.run",
    "newsalign.jobs.ccnews.run.crawl_ccnews",
    "newsalign.enrich.llm.enrich_llm",
    "newsalign.enrich.trends.fetch.enrich_trends",
    "newsalign.training.predict.score_articles",
    "newsalign.training.evaluate.evaluate_models",
    "newsalign.training.export.export_training_set",
    "newsalign.pipeline.chain.run_chain",
    "newsalign.jobs.watch.loop.watch",
    "newsalign.commands.review.serve",
    "newsalign.commands.compact.compact",
)


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, str]:
    """A lake, a model folder, an export folder and an article file the commands may be pointed at."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "model").mkdir()
    (root / "data").mkdir()
    (root / "articles.jsonl").write_text('{"title": "t", "text": "x"}\n')
    return {
        "lake": str(build_lake(root / "lake")),
        "model": str(root / "model"),
        "data": str(root / "data"),
        "file": str(root / "articles.jsonl"),
        "out": str(root / "out"),
    }


@pytest.fixture(scope="module")
def no_work():
    """Every command's work replaced by `Started` (module-wide: hypothesis reuses it across examples)."""
    patcher = pytest.MonkeyPatch()

    def started(*args, **kwargs):
        raise Started(f"work started with args {args} {kwargs}")

    for target in WORK:
        patcher.setattr(target, started)
    yield
    patcher.undo()


@dataclass(frozen=True)
class Case:
    """`newsalign ARGS OPTION VALUE`; `valid` lists the values of the strategies this option rightly takes."""

    args: tuple[str, ...]
    option: str
    valid: frozenset[str] = field(default_factory=frozenset)

    def argv(self, value: str, places: dict[str, str]) -> list[str]:
        return [arg.format(**places) for arg in self.args] + [f"{self.option}={value}"]

    def __str__(self) -> str:
        return f"{self.args[0]} {self.option}"


ZERO = frozenset({"0"})  # a count, a seed or a share where 0 is meant
UNLIMITED = frozenset({"99999999999999999999999"})  # a rate so high it sets no limit, as meant
LLM = ("enrich", "llm", "--db", "{lake}")
TRENDS = ("enrich", "trends", "--db", "{lake}")
SCORE = ("score", "--model", "{model}", "--db", "{lake}")
EVALUATE = ("evaluate", "--model", "m={model}", "--data", "{data}", "--out", "{out}")
EXPORT = ("export", "dpo", "--out", "{out}", "--db", "{lake}")
IMPORT = ("import", "{file}", "--db", "{lake}")
REVIEW = ("review", "--db", "{lake}")
PLAN = ("crawl", "plan", "--since", "2024-01", "--until", "2024-02", "--dry-run", "--db", "{lake}")
CCNEWS = ("crawl", "ccnews", "--since", "2024-05", "--db", "{lake}")

NUMERIC = [
    Case(("sql", "SELECT 1", "--db", "{lake}"), "--max-rows", ZERO),
    *(Case(LLM, o) for o in ("--limit", "--concurrency", "--timeout", "--max-attempts")),
    *(Case(LLM, o, UNLIMITED) for o in ("--rpm", "--tpm")),
    Case(LLM, "--poll-interval"),
    Case(LLM, "--max-retries", ZERO),
    *(Case(TRENDS, o) for o in ("--topics-per-article", "--terms-per-request", "--max-requests")),
    Case(TRENDS, "--max-retries", ZERO),
    Case(TRENDS, "--backoff", ZERO),
    Case(SCORE, "--batch-size"),
    Case(SCORE, "--max-article-tokens"),
    Case(EVALUATE, "--batch-size"),
    Case(EVALUATE, "--bootstrap", ZERO),
    Case(EVALUATE, "--seed", ZERO),
    Case(EVALUATE, "--max-length"),
    Case(EVALUATE, "--threshold", ZERO),
    Case(EXPORT, "--test-size"),
    Case(EXPORT, "--validation-size"),
    Case(EXPORT, "--seed", ZERO),
    Case(EXPORT, "--max-article-tokens"),
    Case(EXPORT, "--snapshot", ZERO),
    Case(IMPORT, "--min-words", ZERO),
    Case(IMPORT, "--max-words"),
    Case(REVIEW, "--port"),
    Case(REVIEW, "--overlap", ZERO),
    Case(REVIEW, "--seed", ZERO),
    Case(REVIEW, "--candidates"),
    Case(REVIEW, "--threshold", ZERO),
    Case(PLAN, "--attempts"),
    Case(PLAN, "--poll"),
    Case(CCNEWS, "--processes"),
    Case(CCNEWS, "--attempts"),
    Case(CCNEWS, "--backoff", ZERO),
    Case(("crawl", "all", "--db", "{lake}"), "--limit"),
    Case(("compact", "--db", "{lake}"), "--keep-days", ZERO),
]

NAMES = frozenset({"../../etc/passwd", "-"})  # odd, but a name all the same
TEXTS = [
    Case(IMPORT, "--source", NAMES),
    Case(IMPORT, "--language"),
    Case(LLM, "--model", NAMES),
    Case(LLM, "--prompt"),
    Case(LLM, "--base-url"),
    Case(LLM, "--shard"),
    Case(TRENDS, "--shard"),
    Case(TRENDS, "--geo", frozenset({""})),  # empty: worldwide
    Case(REVIEW, "--annotator", NAMES),
    Case(REVIEW, "--host"),
    Case(EVALUATE, "--split", NAMES),
    Case(EXPORT, "--label"),
    Case(("crawl", "all", "--db", "{lake}"), "--sources"),
    Case(("crawl", "all", "--db", "{lake}"), "--site"),
    Case(("crawl", "all", "--db", "{lake}"), "-s"),
    Case(("crawl", "all", "--db", "{lake}"), "--since"),
    Case(("crawl", "plan", "--until", "2024-02", "--dry-run", "--db", "{lake}"), "--since"),
    Case(("crawl", "plan", "--since", "2024-01", "--dry-run", "--db", "{lake}"), "--until"),
    Case(PLAN, "--sources"),
    Case(CCNEWS, "--until"),
    Case(CCNEWS, "--sources"),
    Case(CCNEWS, "--server"),
    Case(("watch", "--enrich", "llm", "--db", "{lake}"), "--every"),
    Case(("watch", "--enrich", "llm", "--db", "{lake}"), "--sources"),
    Case(("watch", "--enrich", "llm", "--db", "{lake}"), "--site"),
    Case(("watch", "--enrich", "llm", "--db", "{lake}"), "-s"),
    Case(("watch", "--enrich", "llm", "--db", "{lake}"), "--webhook"),
]

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(case=st.sampled_from(NUMERIC), value=bad_numbers)
def test_a_bad_number_is_refused_naming_its_option(places, no_work, case, value):
    assume(value not in case.valid)
    assert_refused(invoke(case.argv(value, places)), says=case.option)


@FAST
@given(case=st.sampled_from(TEXTS), value=bad_texts)
def test_a_bad_text_is_refused_naming_its_option(places, no_work, case, value):
    assume(value not in case.valid)
    assert_refused(invoke(case.argv(value, places)), says=case.option)


@pytest.mark.parametrize(
    ("case", "value"),
    [(case, value) for case in NUMERIC for value in ("nan", "-1", "") if value not in case.valid]
    + [(case, value) for case in TEXTS for value in ("", "\udcff", "\x00") if value not in case.valid],
    ids=str,
)
def test_every_option_of_the_corpus_refuses(places, no_work, case, value):
    """Each option of the corpus at least once, with each value it must refuse (hypothesis samples them; this
    walks them all)."""
    assert_refused(invoke(case.argv(value, places)), says=case.option)


# --- named cases (issue 20) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["sql", "SELECT 1", "--db", "{lake}", "--max-rows", "-1"], "--max-rows must be a whole number"),
        (["enrich", "llm", "--db", "{lake}", "--rpm", "inf"], "--rpm must be a positive number, got inf"),
        (["enrich", "llm", "--db", "{lake}", "--rpm", "nan"], "--rpm must be a positive number, got nan"),
        (["enrich", "llm", "--db", "{lake}", "--model", ""], "--model must not be empty"),
        (["evaluate", "--model", "m={model}", "--data", "{data}", "--seed", "-1"], "--seed must be a whole number"),
        (["review", "--db", "{lake}", "--seed", str(2**32)], "--seed must be a whole number from 0 to 4294967295"),
        (["import", "{file}", "--db", "{lake}", "--min-words", "-5"], "--min-words must be a whole number"),
        (["import", "{file}", "--db", "{lake}", "--language", "klingon"], "--language"),
        (["import", "{file}", "--db", "{lake}", "--source", ""], "--source must not be empty"),
        (["review", "--db", "{lake}", "--overlap", "1.5"], "--overlap must be a share from 0 to 1"),
        (["review", "--db", "{lake}", "--port", "70000"], "--port"),
        (["watch", "--enrich", "llm", "--every", "15x"], "--every"),
        (["watch", "--enrich", "llm", "--every", "0m"], "--every"),
        (["crawl", "plan", "--since", "0001-01", "--until", "9999-12", "--dry-run", "--db", "{lake}"], "--since"),
        (["crawl", "plan", "--since", "2024-01", "--until", "9999-12", "--dry-run", "--db", "{lake}"], "--until"),
        (["crawl", "ccnews", "--since", "2010-01", "--db", "{lake}"], "--since"),
        (["crawl", "all", "--sources", "", "--db", "{lake}"], "--sources"),
        (["crawl", "all", "--sources", "bbc,nosuch", "--db", "{lake}"], "nosuch"),
        (["crawl", "all", "--site", "nosuch=http://127.0.0.1:1", "--db", "{lake}"], "bbc"),
        (["crawl", "all", "--site", "bbc=ftp://127.0.0.1/", "--db", "{lake}"], "--site"),
        (["crawl", "all", "--site", "bbc", "--db", "{lake}"], "--site"),
        (["crawl", "all", "-s", "DOWNLOAD_DELAYY=2", "--db", "{lake}"], "did you mean DOWNLOAD_DELAY?"),
        (["crawl", "all", "-s", "NEWSALIGN_MIN_WORDS=many", "--db", "{lake}"], "NEWSALIGN_MIN_WORDS"),
        (["crawl", "all", "-s", "CONCURRENT_REQUESTS=abc", "--db", "{lake}"], "CONCURRENT_REQUESTS"),
        (["watch", "--enrich", "llm", "-s", "DOWNLOAD_DELAYY=2"], "did you mean DOWNLOAD_DELAY?"),
        (["crawl", "ccnews", "--since", "2024-05", "-s", "NEWSALIGN_STORE_BATCH=0"], "NEWSALIGN_STORE_BATCH"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_named_cases_of_the_issue(places, no_work, argv, says):
    assert_refused(invoke([arg.format(**places) for arg in argv]), says=says)


def test_a_minimum_above_the_maximum_is_refused(places, no_work):
    outcome = invoke(["import", places["file"], "--db", places["lake"], "--min-words", "500", "--max-words", "100"])
    assert_refused(outcome, says="--min-words")


def test_an_unknown_setting_is_refused_with_the_closest_name(places, no_work):
    outcome = invoke(["crawl", "all", "-s", "DOWNLOAD_DELAYY=2", "--db", places["lake"]])
    assert_refused(outcome)
    assert "Error: -s DOWNLOAD_DELAYY: no such setting (did you mean DOWNLOAD_DELAY?)" in outcome.stderr


def test_values_the_options_take_still_pass(places, no_work):
    """The refusals are not blanket: good values reach the work (the stand-in says so)."""
    for argv in (
        ["crawl", "all", "--sources", "bbc,guardian", "-s", "DOWNLOAD_DELAY=2", "--limit", "3", "--db", places["lake"]],
        ["enrich", "llm", "--db", places["lake"], "--rpm", "500", "--concurrency", "16", "--model", "m"],
        ["import", places["file"], "--db", places["lake"], "--min-words", "0", "--language", "de", "--language", "en"],
    ):
        with pytest.raises(Started):
            invoke(argv)


# --- the types themselves -------------------------------------------------------------------------


@given(st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=25, deadline=None)
def test_a_positive_number_is_finite_and_above_zero(number):
    from newsalign.options import POSITIVE as kind

    if math.isfinite(number) and number > 0:
        assert kind.convert(repr(number), None, None) == number
    else:
        with pytest.raises(click.BadParameter):
            kind.convert(repr(number), None, None)


@given(st.integers())
@settings(max_examples=25, deadline=None)
def test_a_seed_fits_in_32_bits(number):
    from newsalign import options

    if 0 <= number < 2**32:
        assert options.SEED.convert(str(number), None, None) == number
    else:
        with pytest.raises(click.BadParameter):
            options.SEED.convert(str(number), None, None)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("2.5m", 150), ("45", 45)])
def test_a_duration_reads_its_unit(text, seconds):
    from newsalign import options

    assert options.DURATION.convert(text, None, None) == seconds


def test_workers_are_bounded_by_the_jobs(monkeypatch):
    """`--concurrency 100000000 --limit 1` starts one worker, not a hundred million."""
    import asyncio

    from newsalign.enrich.llm import live

    started = []

    async def call_one(con, log, job, client, pacer, on_result):
        started.append(job)

    class Client:
        async def close(self):
            pass

    monkeypatch.setattr(live, "call_one", call_one)
    made = []
    real = asyncio.ensure_future
    monkeypatch.setattr(live.asyncio, "ensure_future", lambda coro: made.append(1) or real(coro))
    asyncio.run(live.run_live(None, ["one job"], Client(), concurrency=100_000_000))
    assert started == ["one job"]
    assert len(made) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["crawl", "plan", "--since", "2024-01", "--until", "2024-01", "--nodes", f"http://admin:{PASSWORD}@host:abc"],
        ["crawl", "all", "--site", f"bbc=ftp://u:{PASSWORD}@host/"],
        ["enrich", "llm", "--base-url", f"htp://u:{PASSWORD}@host/v1"],
        ["watch", "--enrich", "llm", "--webhook", f"hooks://u:{PASSWORD}@host/"],
    ],
    ids=["nodes", "site", "base-url", "webhook"],
)
def test_a_refused_url_does_not_show_its_password(no_work, argv):
    assert_refused(invoke(argv), says="must be an http(s) URL")
