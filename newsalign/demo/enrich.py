"""Demo steps after the crawl: enrich the stored articles (LLM topics and signal, Google Trends
interest) with the same functions `newsalign enrich llm` / `enrich trends` call, then show the
labels the warehouse views derive from them.

Offline (the default) the inputs are sample data shipped with the demo, so no key and no network are
needed: answers written by hand for each sample article (`sample/llm_responses.jsonl`, loaded as
`recorded` LLM calls, after which `enrich_llm` finds nothing to ask) and synthetic Google Trends
exports (`sample/trends/`, read by the csv backend). `newsalign demo --live` asks the real services
instead: the configured OpenAI(-compatible) endpoint and Google Trends through pytrends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newsalign.core.errors import NewsalignError
from newsalign.warehouse import connect

if TYPE_CHECKING:
    from newsalign.demo import DemoContext

SAMPLE = Path(__file__).resolve().parent / "sample"
LLM_ANSWERS = SAMPLE / "llm_responses.jsonl"
TRENDS_EXPORTS = SAMPLE / "trends"
LIVE_TRENDS_RETRIES = 3  # the CLI's 10 can back off for an hour when Google blocks; the demo gives up sooner
EXAMPLES = 4

LABEL_QUERIES = (
    "SELECT s.label_source, a.source, a.title, s.gpt_signal, s.trend_signal FROM v_signal s "
    "JOIN v_articles_clean a USING (id) WHERE s.signal ORDER BY s.label_source, a.source",
    "SELECT g.rank, g.topic, round(g.g3) AS g3, round(g.g5) AS g5, round(g.g10) AS g10, g.thesis_fires, g.rising_fires "
    "FROM v_growth g JOIN v_articles_clean a USING (id) WHERE a.title ILIKE '%storm%' ORDER BY g.rank",
)


def enrich_step(ctx: DemoContext) -> None:
    """LLM topics and signal for every stored article, then the Trends series of their first topics."""
    from newsalign.enrich.llm import enrich_llm, load_recorded
    from newsalign.enrich.trends.backends import make_backend
    from newsalign.enrich.trends.fetch import enrich_trends

    live = ctx.live  # sample data unless `newsalign demo --live`
    con = connect(ctx.db)
    try:
        ctx.echo("")
        if live:
            ctx.echo(
                "Enriching live: one LLM call per article (OPENAI_API_KEY or OPENAI_BASE_URL), Google Trends via pytrends"
            )
        else:
            loaded = load_recorded(con, LLM_ANSWERS)
            ctx.echo(
                f"Enriching offline from sample data (no key, no network): {loaded.stored} hand-written sample answers "
                f"loaded as recorded LLM calls from {_shown(LLM_ANSWERS)}"
            )
        ctx.echo(f"  enrich llm:    {enrich_llm(con).line()}")
        backend = make_backend("pytrends") if live else make_backend("csv", csv_dir=str(TRENDS_EXPORTS))
        try:
            report = enrich_trends(con, backend, **({"max_retries": LIVE_TRENDS_RETRIES} if live else {}))
        except NewsalignError as exc:
            if not live:
                raise
            ctx.echo(f"  enrich trends stopped: {exc}")
            ctx.echo("  (articles whose topics are still missing are left out of the labels below)")
            return
        source = "from Google Trends" if live else f"from synthetic exports in {_shown(TRENDS_EXPORTS)}"
        ctx.echo(
            f"  enrich trends: {report.planned} series needed, {report.requests_sent} read {source}: "
            f"{report.ok} stored, {report.empty} without data, {report.errors} failed"
        )
    finally:
        con.close()


def labels_step(ctx: DemoContext) -> None:
    """The label rates (v_label_stats), a few labelled articles, and label queries to try."""
    with connect(ctx.db, read_only=True) as con:
        ctx.echo("\n".join(label_summary(con, ctx.db)))


def label_summary(con, db: Path) -> list[str]:
    combiner, trend_rule, topic_combiner, per_article = con.execute(
        "SELECT signal_combiner, trend_rule, topic_combiner, topics_per_article FROM stg_label_params"
    ).fetchone()
    (stored,) = con.execute("SELECT count(*) FROM v_articles_clean").fetchone()
    stats = con.execute(
        "SELECT articles, gpt_rate, trend_rate, union_rate, both_rate, kappa FROM v_label_stats WHERE breakdown = 'all'"
    ).fetchone()
    lines = [
        "",
        f"Labels: signal = {combiner} of gpt_signal and trend_signal (trend rule '{trend_rule}', {topic_combiner} "
        f"of each article's first {per_article} topics; see docs/labels.md)",
    ]
    if stats is None or not stats[0]:
        return lines + [f"  no article has both labels yet ({stored} stored); run the enrichment again to continue"]
    articles, gpt, trend, union, both, kappa = stats
    other = "rising" if trend_rule == "thesis" else "thesis"
    other_rate, other_kappa = _rule_stats(con, other)
    lines += [
        f"  labelled articles    {articles} of {stored}",
        f"  gpt_signal           {gpt:4.0%}  ({round(gpt * articles)} articles)",
        f"  trend_signal         {trend:4.0%}  kappa with gpt {_signed(kappa)}  ({trend_rule} rule)",
        f"  signal (union)       {union:4.0%}  both {both:.0%}",
        f"  {other + ' rule':<20} {other_rate:4.0%}  kappa with gpt {_signed(other_kappa)}  (instead of {trend_rule})",
        "  (the thesis reported about 10% gpt, 10% trend, 20% union; the demo's answers and series are sample data)",
        "",
        "Examples (label_source: which label made signal true):",
    ]
    examples = con.execute(
        f"""
        WITH labelled AS (
            SELECT s.label_source, a.source, a.title, l.topics,
                   row_number() OVER (PARTITION BY s.label_source ORDER BY a.date_published DESC, a.id) AS n
            FROM v_signal s JOIN v_articles_clean a USING (id) JOIN int_topics_labels l ON l.article_id = s.id
        )
        SELECT label_source, source, title, topics FROM labelled WHERE n = 1
        ORDER BY CASE label_source WHEN 'both' THEN 0 WHEN 'gpt' THEN 1 WHEN 'trend' THEN 2 ELSE 3 END
        LIMIT {EXAMPLES}
        """
    ).fetchall()
    for label_source, source, title, topics in examples:
        lines.append(f"  [{label_source:<5}] {source}: {_cut(title, 80)}")
        lines.append(f"          first topics: {_cut(', '.join(topics[:per_article]), 100)}")
    lines += ["", "Labels to try:"] + [f'  newsalign sql --db {db} "{query}"' for query in LABEL_QUERIES]
    lines.append(
        f"  newsalign sql --db {db} \"UPDATE label_params SET value = '{other}' WHERE name = 'trend_rule'\""
        f"   # label with the {other} rule"
    )
    lines += ["", f"Review by hand (a gold test set; people's answers count in v_signal): newsalign review --db {db}"]
    return lines


def _rule_stats(con, rule: str) -> tuple[float, float | None]:
    """The rate of a trend rule and its Cohen's kappa with gpt_signal, as v_label_stats computes them
    for the rule label_params names."""
    agreement, gpt, trend = con.execute(
        f"SELECT avg((gpt_signal = {rule}_signal)::INTEGER), avg(gpt_signal::INTEGER), avg({rule}_signal::INTEGER) "
        f"FROM int_topics_labels WHERE gpt_signal IS NOT NULL AND {rule}_signal IS NOT NULL"
    ).fetchone()
    chance = gpt * trend + (1 - gpt) * (1 - trend)
    return trend, None if chance == 1 else (agreement - chance) / (1 - chance)


def _signed(value: float | None) -> str:
    return "n/a (one label never varies)" if value is None else f"{value:+.2f}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter to read), else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
