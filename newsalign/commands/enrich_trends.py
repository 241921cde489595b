"""`newsalign enrich trends`: Google Trends interest for each article's topics, one request per
distinct (topic, geo), spanning all the articles with that topic."""

from __future__ import annotations

from contextlib import ExitStack

import click

from newsalign.cli import db_option, shard_option
from newsalign.core.secrets import scrub
from newsalign.options import COUNT, NON_NEGATIVE_SECONDS, POSITIVE_INT, Geo, Integer
from newsalign.warehouse import connect


@click.command("trends")
@db_option
@click.option(
    "--topics-per-article",
    type=POSITIVE_INT,
    default=None,
    help="Look up each article's first N topics. Default: label_params (5).",
)
@click.option(
    "--anchor",
    type=click.Choice(["published", "fetch"]),
    default=None,
    help="Series end before the publication month (no look-ahead) or at fetch time (the thesis). Default: label_params (published).",
)
@click.option(
    "--geo",
    type=Geo(),
    default=None,
    help="Google geo code (US, GB, ...); empty for worldwide. Default: label_params ('').",
)
@click.option("--backend", type=click.Choice(["pytrends", "serpapi", "csv"]), default="pytrends", show_default=True)
@click.option(
    "--csv-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of Google Trends CSV exports (--backend csv).",
)
@click.option(
    "--terms-per-request",
    type=Integer(min=1, max=5),
    default=1,
    show_default=True,
    help="Topics compared in one request (Google allows 5): fewer requests; a topic whose shared answer leaves its "
    "labels open to rounding is asked again beside topics of its level, then alone (docs/enrich-trends.md).",
)
@click.option(
    "--max-requests", type=POSITIVE_INT, default=None, help="Send at most N requests this run (retries count)."
)
@click.option(
    "--max-retries",
    type=COUNT,
    default=10,
    show_default=True,
    help="Retries of one request on 429/5xx/network errors.",
)
@click.option(
    "--backoff",
    type=NON_NEGATIVE_SECONDS,
    default=10.0,
    show_default=True,
    help="Seconds of the first retry's backoff; doubles each time (full jitter: a random wait up to it; at most 600).",
)
@shard_option("fetch only the topics of shard i of N (by topic hash); use with --out")
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Write series to this separate warehouse folder instead of --db (then `newsalign merge`).",
)
def trends(
    db,
    topics_per_article,
    anchor,
    geo,
    backend,
    csv_dir,
    terms_per_request,
    max_requests,
    max_retries,
    backoff,
    shard,
    out,
) -> None:
    """Fetch the monthly Google Trends interest over the ten years before each article for its first
    topics, one series per distinct (topic, geo), shared by every article with that topic, into
    trend_series, up to five topics compared in one request. Each article's 3-, 5- and 10-year windows are cut from that one series, ending
    before its own publication month. Resumable: answered topics are skipped, a topic with new
    articles outside its stored range is refetched, each answer is committed as it arrives.

    \b
    Examples:
      newsalign enrich trends --max-requests 200
      newsalign enrich trends --backend csv --csv-dir trends_exports/
      SERPAPI_API_KEY=... newsalign enrich trends --backend serpapi
      newsalign enrich trends --shard 2/4 --out trends-2   # on machine 2 of 4 (or share one --db lake: no merge)
      newsalign merge trends-*
    """
    from newsalign.enrich.trends.backends import make_backend
    from newsalign.enrich.trends.fetch import enrich_trends

    trends_backend = make_backend(backend, csv_dir=csv_dir)
    with ExitStack() as opened:
        con = opened.enter_context(connect(db, read_only=out is not None, must_exist=True))
        out_con = opened.enter_context(connect(out)) if out else None
        report = enrich_trends(
            con,
            trends_backend,
            out=out_con,
            topics_per_article=topics_per_article,
            anchor=anchor,
            geo=geo,
            shard=shard,
            terms_per_request=terms_per_request,
            max_requests=max_requests,
            max_retries=max_retries,
            backoff=backoff,
        )
    click.echo(
        f"{report.planned} series needed, {report.requests_sent} requests sent "
        f"({report.regrouped} topics asked again by level, {report.asked_alone} alone): "
        f"{report.ok} stored, {report.empty} without Trends data, {report.errors} failed (retried next run)"
    )
    for example in report.error_examples:
        click.echo(scrub(f"  failed: {example}"), err=True)
    if report.stopped:
        click.echo(f"Stopped: {report.stopped}", err=True)
