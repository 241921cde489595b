"""The item pipelines run through `pipeline.chain` (the same classes Scrapy runs), on a fresh warehouse."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from newsalign.core.text import clean_text
from newsalign.core.urls import canonical_url
from newsalign.crawler.config import crawl_settings
from newsalign.crawler.items import PageRejected
from newsalign.pipeline.chain import run_chain
from newsalign.warehouse.db import WarehouseError
from tests.articles import BODY, NOW, article
from tests.helpers import rows

OTHER = (
    "A small battery start-up said it had built a solid-state cell that charges in six minutes, and that "
    "a carmaker will test it next spring. Analysts called the claim bold but noted the company's earlier "
    "prototypes had met their targets in independent tests run by a university laboratory last autumn."
)


def run(db_path, items, **settings):
    settings.setdefault("NEWSALIGN_MIN_WORDS", 10)
    return run_chain(items, crawl_settings(NEWSALIGN_DB=str(db_path), **settings), spider="test")


def rejects(db_path):
    return sorted(rows(db_path, "SELECT stage, reason FROM article_rejects"))


def test_stored_article_is_normalized(db_path):
    decomposed = (
        unicodedata.normalize("NFD", "Café owners cheer.") + "  \u200b\n\nSign up for our newsletter\n\n" + BODY
    )
    report = run(
        db_path, [article(url="https://WWW.bbc.co.uk/news/a-1?utm_source=twitter&fbclid=x#top", text=decomposed)]
    )
    assert report.stored == 1 and report.rejected == 0
    [(url, text, words, lang, digest, fp)] = rows(
        db_path,
        "SELECT url, text, word_count, language, content_hash, len(minhash) FROM articles JOIN article_fingerprints USING (id)",
    )
    assert url == "https://www.bbc.co.uk/news/a-1"
    assert text.startswith("Café owners cheer.\n\nThe central bank")  # NFC, no zero-width space, newsletter line gone
    assert "newsletter" not in text
    assert words == len(text.split()) and lang == "en" and len(digest) == 16 and fp == 128


def test_parser_rejections_and_bad_items_are_recorded_with_reasons(db_path):
    report = run(
        db_path,
        [
            PageRejected(
                source="bbc", url="https://www.bbc.co.uk/news/live/x", reason="live_blog", detail="LiveBlogPosting"
            ),
            article(date_published=NOW + timedelta(days=3)),
            article(url="https://www.bbc.co.uk/news/old", date_published=datetime(1985, 1, 1, tzinfo=timezone.utc)),
            article(url="https://www.bbc.co.uk/news/empty", text="   \n "),
            article(url="https://www.bbc.co.uk/news/furniture", text="Read more\nShare this article\nAdvertisement"),
            article(url=None),
            article(url="https://www.bbc.co.uk/news/naive", date_published=datetime(2024, 1, 1)),
            article(url="https://www.bbc.co.uk/news/untitled", title=""),
        ],
    )
    assert report.stored == 0
    assert rejects(db_path) == [
        ("normalize", "empty_text"),
        ("parse", "live_blog"),
        ("validate", "bad_type"),
        ("validate", "date_in_future"),
        ("validate", "date_too_old"),
        ("validate", "empty_text"),
        ("validate", "missing_field"),
        ("validate", "missing_field"),
    ]
    assert rows(db_path, "SELECT detail FROM article_rejects WHERE reason = 'live_blog'") == [("LiveBlogPosting",)]
    [(counts, rejected, status)] = rows(db_path, "SELECT counts, rejected, status FROM crawl_runs")
    assert '"validate/missing_field": 2' in counts and rejected == 8 and status == "finished"


def test_rows_without_url_or_date_pass_only_when_the_run_allows_it(db_path):
    report = run(db_path, [article(url=None, date_published=None)], NEWSALIGN_ALLOW_MISSING_URL_DATE=True)
    assert report.stored == 1
    [(url, date, article_id)] = rows(db_path, "SELECT url, date_published, id FROM articles")
    assert url is None and date is None and len(article_id) == 16


def test_filter_language_length_and_page_type(db_path):
    german = "Die Zentralbank hat am Dienstag die Zinsen erneut angehoben und damit die Märkte und viele Ökonomen überrascht."
    run(
        db_path,
        [
            article(url="https://x.test/de", text=german),
            article(url="https://x.test/short", text="Too short to keep."),
            article(
                url="https://x.test/long",
                text=BODY,
            ),
            article(url="https://x.test/live", text=OTHER, page_type="LiveBlogPosting"),
        ],
        NEWSALIGN_MAX_WORDS=40,
    )
    assert rejects(db_path) == [
        ("filter", "language"),
        ("filter", "page_type"),
        ("filter", "too_long"),
        ("filter", "too_short"),
    ]
    assert rows(db_path, "SELECT detail FROM article_rejects WHERE reason = 'language'") == [("detected de",)]


def test_no_kept_languages_means_no_detection(db_path, monkeypatch):
    from newsalign.pipeline import filter as language_filter

    def no_model():
        raise AssertionError("the language model must not be needed when every language is kept")

    monkeypatch.setattr(language_filter, "language_identifier", no_model)
    german = "Die Zentralbank hat am Dienstag die Zinsen erneut angehoben und damit die Märkte und viele Ökonomen überrascht."
    report = run(db_path, [article(url="https://x.test/de", text=german, language="de")], NEWSALIGN_LANGUAGES=[])
    assert report.stored == 1
    assert rows(db_path, "SELECT language FROM articles") == [("de",)]  # as the page declared it


def test_language_is_detected_on_a_bounded_prefix(db_path):
    # Mostly English as a whole, but its first LANGID_CHARS characters are Spanish: the prefix decides.
    spanish = (
        "El banco central volvió a subir los tipos de interés el martes, una decisión que sorprendió a los mercados "
        "y a muchos economistas, que esperaban una pausa. Los responsables explicaron que la inflación sigue siendo "
        "demasiado alta y que podrían llegar nuevas subidas si los precios continúan creciendo más deprisa que los "
        "salarios en las mayores economías de la región durante este año. Una pequeña empresa de baterías aseguró "
        "haber construido una celda de estado sólido que se carga en seis minutos, y que un fabricante de coches la "
        "probará la próxima primavera. Los analistas calificaron el anuncio de audaz, aunque recordaron que los "
        "prototipos anteriores de la compañía cumplieron sus objetivos en pruebas independientes realizadas por el "
        "laboratorio de una universidad el otoño pasado. Mientras tanto, el gobierno prometió nuevas ayudas para "
        "las familias con hipotecas variables y para los pequeños comercios afectados por la subida de los costes."
    )
    english = [
        BODY,
        OTHER,
        "The city council approved a plan on Monday to rebuild the old harbour bridge, which has been closed to heavy "
        "traffic since a storm damaged its supports two winters ago. Engineers expect the work to take three years.",
        "Researchers at a northern university reported that a common garden weed can pull heavy metals out of polluted "
        "soil, a finding that could make cleaning up former factory sites much cheaper than digging them out.",
        "The national football team named a new coach after a disappointing tournament, choosing a former midfielder "
        "who has spent the past decade leading youth sides and is known for favouring young players.",
        "Shares in the airline fell sharply after it warned that higher fuel prices and a shortage of pilots would "
        "squeeze profits through the summer, even as bookings for holidays abroad remained strong.",
    ]
    run(db_path, [article(url="https://x.test/mixed", text="\n\n".join([spanish, *english]))])
    assert rows(db_path, "SELECT reason, detail FROM article_rejects") == [("language", "detected es")]


def test_tracking_parameters_do_not_make_a_second_article(db_path):
    report = run(
        db_path,
        [
            article(url="https://www.bbc.co.uk/news/a-1?utm_source=tw&utm_medium=social"),
            article(url="https://www.bbc.co.uk/news/a-1?fbclid=abc", text=OTHER),
        ],
    )
    assert report.stored == 1 and rejects(db_path) == [("dedup", "duplicate_url")]
    assert canonical_url("https://a.test/x?b=2&utm_campaign=z&a=1") == "https://a.test/x?a=1&b=2"


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_exact_and_near_duplicates_across_sources_keep_the_earliest(db_path):
    run(db_path, [article(source="reuters", url="https://reuters.test/a", date_published=NOW - timedelta(days=2))])
    # Next run: an exact copy and a lightly edited copy, both later -> rejected against the stored one.
    edited = BODY.replace("again on Tuesday", "again on Tuesday morning")
    run(
        db_path,
        [
            article(source="guardian", url="https://guardian.test/a", date_published=NOW - timedelta(days=1)),
            article(source="techcrunch", url="https://tc.test/a", text=edited, date_published=NOW - timedelta(days=1)),
            article(source="bbc", url="https://bbc.test/other", text=OTHER),
        ],
    )
    assert rejects(db_path) == [("dedup", "duplicate_content"), ("dedup", "near_duplicate")]
    # An earlier copy arriving later wins: the stored one is marked superseded (kept, not deleted) and recorded.
    report = run(
        db_path,
        [article(source="wccftech", url="https://wcc.test/a", text=edited, date_published=NOW - timedelta(days=5))],
    )
    assert report.stored == 1 and report.counts == {"dedup/superseded": 1}
    assert sorted(rows(db_path, "SELECT source FROM articles WHERE superseded_by IS NULL")) == [("bbc",), ("wccftech",)]
    [(url, detail)] = rows(db_path, "SELECT url, detail FROM article_rejects WHERE reason = 'superseded'")
    assert url == "https://reuters.test/a" and "earlier" in detail and "wcc.test" in detail
    [(by,)] = rows(db_path, "SELECT superseded_by FROM articles WHERE source = 'reuters'")
    assert rows(db_path, f"SELECT source FROM articles WHERE id = '{by}'") == [("wccftech",)]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_rerun_adds_nothing_and_batches_flush(db_path):
    items = [
        article(url=f"https://x.test/{i}", text=f"Story number {i}. " + (BODY if i % 2 else OTHER) + f" Item {i}.")
        for i in range(2)
    ]
    items += [article(url=f"https://x.test/u{i}", text=" ".join(f"w{i}x{j}" for j in range(30))) for i in range(7)]
    first = run(db_path, items, NEWSALIGN_STORE_BATCH=3, NEWSALIGN_LANGUAGES=[])
    second = run(db_path, items, NEWSALIGN_STORE_BATCH=3, NEWSALIGN_LANGUAGES=[])
    assert first.stored == 9 and second.stored == 0
    assert second.counts == {"dedup/duplicate_url": 9}
    assert rows(db_path, "SELECT count(*), count(DISTINCT id) FROM articles") == [(9, 9)]


@pytest.mark.slow
def test_a_killed_run_keeps_flushed_batches_and_a_rerun_completes_it(db_path):
    script = textwrap.dedent(f"""
        import os, sys
        from tests.articles import article
        from newsalign.crawler.config import crawl_settings
        from newsalign.pipeline.chain import Chain
        chain = Chain(crawl_settings(NEWSALIGN_DB={str(db_path)!r}, NEWSALIGN_MIN_WORDS=10, NEWSALIGN_LANGUAGES=[], NEWSALIGN_STORE_BATCH=4), spider="test").open()
        for i in range(10):
            chain.process(article(url=f"https://x.test/{{i}}", text=" ".join(f"w{{i}}x{{j}}" for j in range(30))))
        os._exit(9)  # killed: no close, the last 2 items were never flushed
    """)
    assert subprocess.run([sys.executable, "-c", script], timeout=120).returncode == 9
    assert rows(db_path, "SELECT count(*) FROM articles") == [(8,)]
    assert rows(db_path, "SELECT finished FROM crawl_runs") == [(None,)]
    items = [article(url=f"https://x.test/{i}", text=" ".join(f"w{i}x{j}" for j in range(30))) for i in range(10)]
    report = run(db_path, items, NEWSALIGN_LANGUAGES=[])
    assert report.stored == 2 and report.counts == {"dedup/duplicate_url": 8}
    assert rows(db_path, "SELECT count(*), count(DISTINCT id) FROM articles") == [(10, 10)]


def test_unusable_warehouse_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("garbage")
    with pytest.raises(WarehouseError, match="is a file, not a warehouse folder"):
        run(bad, [article()])
    with pytest.raises(WarehouseError, match="a folder with other files and no catalog.sqlite"):
        run(tmp_path, [article()])


def test_boilerplate_patterns_drop_furniture_and_keep_sentences():
    text = (
        "Read more: Markets slump\nShares rose 5%.\nShare this article\nSign up fees were cut.\n"
        "Image source, Getty Images\nCopyright lawsuits rose in 2023.\n© 2024 BBC. All rights reserved\nFollow us on X"
    )
    assert clean_text(text) == "Shares rose 5%.\n\nSign up fees were cut.\n\nCopyright lawsuits rose in 2023."


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_store_upserts_by_id_even_without_dedup(db_path):
    pipelines = crawl_settings().getdict("ITEM_PIPELINES")
    del pipelines["newsalign.pipeline.dedup.DedupPipeline"]
    no_dedup = {"ITEM_PIPELINES": pipelines}
    first = run(db_path, [article(), article(url="https://x.test/b", text=OTHER)], **no_dedup)
    second = run(db_path, [article(title="Rates rise (updated)")], **no_dedup)
    assert first.stored == 2 and second.stored == 1 and second.rejected == 0
    assert sorted(rows(db_path, "SELECT title FROM articles")) == [("Rates rise",), ("Rates rise (updated)",)]


def test_a_lone_surrogate_in_a_page_never_blocks_a_flush(db_path):
    # The JSON-LD escape "\ud800" decodes to a lone surrogate, which UTF-8 cannot encode.
    from newsalign.crawler.parsers import parse_page
    from tests.pages import page

    hostile = page(
        jsonld='{"@type": "NewsArticle", "headline": "Rates \\ud800 rise", "author": {"name": "Ann \\udfff Lee"}}'
    )
    parsed = parse_page("guardian", hostile, "https://www.theguardian.com/business/2024/may/01/a")
    others = [article(url=f"https://x.test/{i}", text=" ".join(f"w{i}x{j}" for j in range(30))) for i in range(5)]
    report = run(db_path, [parsed, *others], NEWSALIGN_STORE_BATCH=2, NEWSALIGN_LANGUAGES=[])
    assert report.stored == 6
    [(title, authors)] = rows(db_path, "SELECT title, authors FROM articles WHERE url LIKE '%theguardian%'")
    assert "\ud800" not in title and "\ufffd" in title and authors == ["Ann \ufffd Lee"]
    assert rows(db_path, "SELECT status FROM crawl_runs") == [("finished",)]


def test_an_unencodable_row_is_rejected_and_the_rest_of_its_batch_committed(db_path):
    from newsalign.pipeline.writer import ARTICLE_COLUMNS, WarehouseWriter

    writer = WarehouseWriter(crawl_settings(NEWSALIGN_DB=str(db_path), NEWSALIGN_STORE_BATCH=100), spider="t")
    writer.open()
    good = {
        "id": "good",
        "source": "s",
        "url": "https://x.test/good",
        "title": "t",
        "text": "x",
        "authors": [],
        "tags": [],
        "fetched_at": NOW,
        "page_type": "article",
        "content_hash": "h",
        "word_count": 1,
    }
    poison = {**good, "id": "bad", "url": "https://x.test/bad", "page_type": "News\ud800Article"}
    for fields in (good, poison):
        writer.add_article(tuple(fields.get(name) for name in ARTICLE_COLUMNS))
    report = writer.finish(status="finished", fetched=2)
    writer.close()
    assert report.stored == 1 and report.counts == {"store/unencodable": 1}
    assert rows(db_path, "SELECT id FROM articles") == [("good",)]
    [(url, detail)] = rows(db_path, "SELECT url, detail FROM article_rejects WHERE reason = 'unencodable'")
    assert url == "https://x.test/bad" and "surrogate" in detail


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_two_runs_at_once_keep_one_copy_and_mark_the_other_superseded(db_path):
    # Two crawls open before either stores: their dedup indexes never see each other's copy. When each run
    # finishes, `settle` keeps the earlier copy and marks the later one; whichever order they finish in.
    from newsalign.pipeline.chain import Chain

    story = BODY + " " + OTHER
    early = article(url="https://a.test/story", text=story, date_published=NOW - timedelta(days=2), source="bbc")
    late = article(
        url="https://b.test/story", text=story + " Updated.", date_published=NOW - timedelta(days=1), source="guardian"
    )
    for first_to_finish in (0, 1):
        db = db_path.with_name(f"lake{first_to_finish}")
        chains = [
            Chain(crawl_settings(NEWSALIGN_DB=str(db), NEWSALIGN_MIN_WORDS=10), spider=s).open() for s in ("a", "b")
        ]
        chains[0].process(late)
        chains[1].process(early)
        chains[first_to_finish].close()
        chains[1 - first_to_finish].close()
        assert rows(db, "SELECT url, superseded_by IS NULL FROM articles ORDER BY url") == [
            ("https://a.test/story", True),
            ("https://b.test/story", False),
        ]
        assert rows(db, "SELECT url FROM v_articles_clean") == [("https://a.test/story",)]
        assert rows(db, "SELECT reason FROM article_rejects") == [("superseded",)]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_superseded_article_is_marked_not_deleted(db_path):
    story = BODY + " " + OTHER
    run(db_path, [article(url="https://a.test/late", text=story, date_published=NOW - timedelta(days=1))])
    run(
        db_path, [article(url="https://a.test/early", text=story + " Updated.", date_published=NOW - timedelta(days=3))]
    )
    assert rows(db_path, "SELECT url, superseded_by IS NOT NULL FROM articles ORDER BY url") == [
        ("https://a.test/early", False),
        ("https://a.test/late", True),
    ]
    assert rows(db_path, "SELECT url FROM v_articles_clean") == [("https://a.test/early",)]


@pytest.fixture
def fresh_language_model(tmp_path, monkeypatch):
    """core.language with no model loaded yet and its cache folder in tmp_path; loaded afresh after the test."""
    from newsalign.core import language

    monkeypatch.setenv("NEWSALIGN_CACHE_DIR", str(tmp_path / "cache"))
    language._load.cache_clear()
    yield language
    language._load.cache_clear()


LANGUAGE_SAMPLES = [
    "The central bank raised interest rates again on Tuesday, surprising markets.",
    "Die Zentralbank hat am Dienstag die Zinsen erneut angehoben.",
    "La banque centrale a de nouveau relevé ses taux mardi.",
    "x",
    "",
]


def test_the_language_model_is_cached_decompressed_and_answers_as_the_wheels(fresh_language_model, monkeypatch):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    wheel = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    first = fresh_language_model.language_identifier()
    [cached] = (fresh_language_model.cache_dir()).glob("py3langid-*.npz")
    fresh_language_model._load.cache_clear()

    def no_wheel(*args, **kwargs):
        raise AssertionError("a cached model must not be decompressed again")

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", no_wheel)
    second = fresh_language_model.language_identifier()
    assert second is not first
    assert second.nb_ptc.dtype == "float32"  # widened once on loading, not on every classification
    for text in [*LANGUAGE_SAMPLES, " ".join(LANGUAGE_SAMPLES[:3]) * 5]:  # the same scores, exactly
        assert second.classify(text) == first.classify(text) == wheel.classify(text)
    assert (second.tk_nextmove, second.tk_row, second.tk_output) == (wheel.tk_nextmove, wheel.tk_row, wheel.tk_output)
    assert list(cached.parent.iterdir()) == [cached]  # no temporary file left beside it


def test_a_broken_language_model_cache_is_replaced(fresh_language_model):
    cache = fresh_language_model.cache_dir()
    cache.mkdir(parents=True)
    from importlib.metadata import version

    broken = cache / f"py3langid-{version('py3langid')}.npz"
    broken.write_bytes(b"PK\x03\x04 not a zip at all")
    assert fresh_language_model.language_identifier().classify(LANGUAGE_SAMPLES[1])[0] == "de"
    fresh_language_model._load.cache_clear()
    assert fresh_language_model.language_identifier().classify(LANGUAGE_SAMPLES[0])[0] == "en"
    assert broken.stat().st_size > 1_000_000  # rewritten whole


def test_an_unwritable_cache_folder_only_costs_the_decompression(fresh_language_model, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NEWSALIGN_CACHE_DIR", str(blocker / "cache"))
    assert fresh_language_model.language_identifier().classify(LANGUAGE_SAMPLES[2])[0] == "fr"
    assert blocker.read_text() == "not a folder"


def test_the_dedup_index_loads_stored_articles_and_signs_only_those_with_a_signature(db_path):
    """One read loads the index: every standing article's id and hash, and the signatures of those that have one
    (an article stored without a fingerprint is known by id, never matched as a near-duplicate)."""
    from newsalign.core.minhash import NUM_PERM
    from newsalign.pipeline.dedup import DedupIndex, signature
    from newsalign.warehouse import connect
    from tests.trends_support import add_articles

    texts = {"signed": BODY, "unsigned": "Other words entirely. " * 60, "superseded": BODY + " More."}
    with connect(db_path) as con:
        add_articles(con, [{"id": article_id, "text": text} for article_id, text in texts.items()])
        con.execute("UPDATE articles SET superseded_by = 'signed' WHERE id = 'superseded'")
        for article_id in ("signed", "superseded"):
            con.execute("INSERT INTO article_fingerprints (id, minhash) VALUES (?, ?)",
                        [article_id, signature(texts[article_id]).hashvalues.tolist()])  # fmt: skip
        index = DedupIndex(threshold=0.8)
        index.load(con)
    assert set(index.known) == {"signed", "unsigned"} and index.by_hash["hash-unsigned"] == "unsigned"
    assert set(index.near.hashvalues) == {"signed"} and len(index.near.hashvalues["signed"]) == NUM_PERM
    assert index.nearest(signature(BODY)) == "signed"
    assert index.nearest(signature(texts["unsigned"])) is None
