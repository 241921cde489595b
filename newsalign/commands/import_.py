"""`newsalign import`: load an article dump through the crawl's pipelines into the warehouse."""

from __future__ import annotations

import click

from newsalign.cli import db_option
from newsalign.core.errors import NewsalignError
from newsalign.options import COUNT, LANGUAGE, POSITIVE_INT, TEXT
from newsalign.pipeline.dumps import FORMATS, open_dump


@click.command("import")
@click.argument("file", type=click.Path())
@click.option(
    "--source",
    type=TEXT,
    default=None,
    help="Source name stored with the rows. Default: a `source` column, else the file name.",
)
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None, help="Override the format taken from the extension."
)
@click.option(
    "--min-words", type=COUNT, default=None, help="Minimum words an article needs (default: NEWSALIGN_MIN_WORDS, 150)."
)
@click.option("--max-words", type=POSITIVE_INT, default=None, help="Maximum words (default: NEWSALIGN_MAX_WORDS).")
@click.option(
    "--language",
    "languages",
    type=LANGUAGE,
    multiple=True,
    help="Language to keep (repeatable; default: en). `--language all` keeps all.",
)
@click.option(
    "--allow-missing", is_flag=True, help="Keep rows without a url or date even when the file has those columns."
)
def import_(file, source, db, fmt, min_words, max_words, languages, allow_missing) -> None:
    """Import FILE (JSON list, JSONL, CSV or Parquet) through validate, normalize, filter, dedup and store.

    Newsletters too: an .eml file, a folder of them or an .mbox archive, one article per issue (subject,
    Date, the HTML part's text, source `newsletter:<sender's domain>`, no URL).

    Rows without a link or date are kept (NULL url/date_published, id = hash of source and text) when
    the file has no such column at all, or with --allow-missing; otherwise they are rejected. Every
    rejection is recorded in article_rejects; the run in crawl_runs as spider `import:<file name>`.

    \b
    Examples:
      newsalign import thesis_articles.json --source thesis
      newsalign import ../shared/data/ag_news/test.csv --source ag_news --min-words 20
      newsalign import dump.txt --format jsonl --db /tmp/w
      newsalign import newsletters/ --min-words 50          # a folder of .eml files
    """
    from newsalign.crawler.config import crawl_settings
    from newsalign.pipeline.chain import run_chain
    from newsalign.pipeline.newsletters import is_newsletters, open_newsletters
    from newsalign.warehouse import connect

    _check_word_range(min_words, max_words)
    if is_newsletters(file):
        _import_newsletters(open_newsletters(file), db, min_words, max_words, languages)
        return
    dump = open_dump(file, fmt=fmt, source=source)
    connect(db).close()  # a missing directory or a corrupt file fails here, before any work
    if dump.missing:
        click.echo(
            f"{dump.path.name} has no {' or '.join(dump.missing)} column: its rows are stored without one", err=True
        )
    settings = crawl_settings(
        NEWSALIGN_DB=db,
        NEWSALIGN_MIN_WORDS=min_words,
        NEWSALIGN_MAX_WORDS=max_words,
        NEWSALIGN_LANGUAGES=[] if "all" in languages else list(languages) or None,
        NEWSALIGN_ALLOW_MISSING_URL_DATE=True if allow_missing or dump.missing else None,
    )
    report = run_chain(dump.articles(), settings, spider=f"import:{dump.path.name}", source=dump.source)
    click.echo(f"read {dump.rows} rows from {dump.path}")
    for line in report.lines():
        click.echo(line)


def _check_word_range(min_words: int | None, max_words: int | None) -> None:
    """Both bounds given or defaulted (crawler/settings.py), the minimum may not pass the maximum."""
    from newsalign.crawler.config import crawl_settings

    defaults = crawl_settings()
    low = defaults.getint("NEWSALIGN_MIN_WORDS") if min_words is None else min_words
    high = defaults.getint("NEWSALIGN_MAX_WORDS") if max_words is None else max_words
    if low > high:
        raise NewsalignError(f"--min-words ({low}) is above --max-words ({high}): no article could pass")


def _import_newsletters(newsletters, db, min_words, max_words, languages) -> None:
    from newsalign.crawler.config import crawl_settings
    from newsalign.pipeline.chain import run_chain
    from newsalign.warehouse import connect

    connect(db).close()
    settings = crawl_settings(
        NEWSALIGN_DB=db,
        NEWSALIGN_MIN_WORDS=min_words,
        NEWSALIGN_MAX_WORDS=max_words,
        NEWSALIGN_LANGUAGES=[] if "all" in languages else list(languages) or None,
        NEWSALIGN_ALLOW_MISSING_URL_DATE=True,  # an issue has no URL; one without a date is rejected when read
    )
    report = run_chain(newsletters.articles(), settings, spider=f"import:{newsletters.path.name}")
    click.echo(f"read the newsletters in {newsletters.path}")
    for line in report.lines():
        click.echo(line)
