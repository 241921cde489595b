"""Article parsing: every real saved page in ../shared/fixtures against its expected output, plus bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newsalign.cli import main
from newsalign.core.errors import NewsalignError
from newsalign.core.urls import article_id
from newsalign.crawler.items import Article, PageRejected
from newsalign.crawler.parsers import SOURCES, parse_page
from tests.helpers import FIXTURES, require_shared
from tests.pages import BODY, URL, page
from tests.parser_quality import fixture_cases, shingle_f1

CASES = fixture_cases(FIXTURES) if FIXTURES.exists() else []


# --- real pages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES or [None], ids=[c.name for c in CASES] or ["no-fixtures"])
def test_fixture_page(case):
    require_shared(FIXTURES)
    result = parse_page(case.source, case.path.read_bytes(), case.url)
    if case.rejected:
        assert isinstance(result, PageRejected) and result.reason == case.rejected
        return
    assert isinstance(result, Article), result
    assert result.source == case.source and result.id == article_id(result.url)
    assert result.date_published is None or result.date_published.tzinfo is not None
    if case.title is not None:
        assert result.title == case.title
    if case.date is not None:
        if case.date_precision == "second":
            assert result.date_published == case.date
        else:
            assert result.date_published.date() == case.date.date()
    if case.authors is not None:
        assert result.authors == case.authors
    if case.body is not None:
        assert shingle_f1(result.text, case.body) >= 0.95
    for snippet in case.must:
        assert snippet in result.text
    for snippet in case.must_not:
        assert snippet not in result.text
    assert result.language == "en"
    assert "\n\n" in result.text


def test_fixture_cases_cover_all_sources():
    require_shared(FIXTURES)
    assert {c.source for c in CASES} == set(SOURCES)
    assert any(c.rejected == "live_blog" for c in CASES)


def test_every_source_has_a_parser():
    assert SOURCES == ("bbc", "guardian", "techcrunch", "techradar", "wccftech", "reuters")


# --- synthetic pages -------------------------------------------------------------------------------
def test_synthetic_article_fields():
    fetched = datetime(2024, 5, 2, tzinfo=timezone.utc)
    a = parse_page("guardian", page(), URL + "?utm_source=twitter", fetched_at=fetched)
    assert isinstance(a, Article)
    assert a.url == URL and a.id == article_id(URL)
    assert a.title == "Chip maker beats forecasts"
    assert a.date_published == datetime(2024, 5, 1, 6, 30, tzinfo=timezone.utc)
    assert a.authors == ["Ada Lovelace"]
    assert a.tags == ["Chips", "Earnings"]
    assert a.page_type == "NewsArticle" and a.fetched_at == fetched
    assert a.text.split("\n\n")[0].startswith("Paragraph 0 says")


def test_malformed_html_still_parses():
    broken = page(BODY.replace("</p>", "", 3) + "<div><span><b>unclosed <i>tags</div></p></span>")
    a = parse_page("guardian", broken, URL)
    assert isinstance(a, Article) and "Paragraph 7 says" in a.text


@pytest.mark.parametrize("html", ["", "   ", b"", b"\x00\x01\x02", "%PDF-1.4 binary"])
def test_empty_or_garbage_input_is_malformed(html):
    result = parse_page("guardian", html, URL)
    assert isinstance(result, PageRejected) and result.reason == "malformed"


def test_empty_body_is_no_body():
    result = parse_page("guardian", page(body=""), URL)
    assert isinstance(result, PageRejected) and result.reason == "no_body"


def test_other_language_is_parsed_with_its_language():
    german = "".join(
        f"<p>Absatz {i}: Der Chiphersteller hat die Erwartungen der Analysten im Quartal übertroffen.</p>"
        for i in range(8)
    )
    a = parse_page("guardian", page(german, lang="de-DE", title="Chiphersteller übertrifft Prognosen"), URL)
    assert isinstance(a, Article) and a.language == "de" and "übertroffen" in a.text


@pytest.mark.timeout(60)
def test_ten_megabyte_page():
    words = "word " * 200
    paras = "".join(f"<p>{i} {words}</p>" for i in range(10_000_000 // len(words)))
    huge = page(paras + "<div>" * 5000 + "<p>deep inside</p>" + "</div>" * 5000)  # and very deep nesting
    assert len(huge) > 10_000_000
    a = parse_page("guardian", huge.encode("utf-8"), URL)
    assert isinstance(a, Article) and len(a.text) > 5_000_000


def test_invalid_utf8_bytes_are_replaced_not_fatal():
    raw = page(title="Caf\u00e9 chain expands").encode("utf-8").replace(b"Paragraph 3", b"Paragraph \xff\xfe3")
    a = parse_page("guardian", raw, URL)
    assert isinstance(a, Article) and a.title == "Caf\u00e9 chain expands"
    assert "Paragraph 4 says" in a.text


def test_bytes_in_declared_legacy_charset():
    raw = (
        page(title="Caf\u00e9 \u2013 r\u00e9sum\u00e9")
        .replace('charset="utf-8"', 'charset="windows-1252"')
        .encode("cp1252")
    )
    a = parse_page("guardian", raw, URL)
    assert a.title == "Caf\u00e9 \u2013 r\u00e9sum\u00e9"


def test_invalid_jsonld_falls_back_to_meta_tags():
    a = parse_page("guardian", page(jsonld='{"@type": "NewsArticle", "headline": "Broken",,}'), URL)
    assert isinstance(a, Article)
    assert a.title == "Chip maker beats forecasts"  # og:title
    assert a.date_published == datetime(2024, 5, 1, 6, 30, tzinfo=timezone.utc)  # article:published_time
    assert a.page_type == "article"


def test_tracking_params_do_not_change_the_id():
    plain = page().replace('<meta property="og:type"', '<meta name="x"')  # no canonical link in this page
    ids = {
        parse_page("guardian", plain, URL + suffix).id
        for suffix in ("", "?utm_source=a&utm_medium=b", "?fbclid=XYZ", "?gclid=1#comments")
    }
    assert ids == {article_id(URL)}


def test_canonical_link_wins_over_fetched_url():
    a = parse_page(
        "guardian", page(head=f'<link rel="canonical" href="{URL}">'), "https://amp.theguardian.com/whatever?CMP=share"
    )
    assert a.url == URL


# --- pages that are not articles -------------------------------------------------------------------
DATADOME = (
    "<html><head><title>reuters.com</title></head><body><p>Please enable JS and disable any ad blocker</p>"
    "<script>var dd={'rt':'c','cid':'AHrlqAAA','hsh':'2013457ADA70C67D6A4123E0A76873','host':'geo.captcha-delivery.com'}</script>"
    '<script src="https://ct.captcha-delivery.com/c.js"></script></body></html>'
)


def test_reuters_datadome_page_is_bot_protection():
    result = parse_page("reuters", DATADOME.encode(), "https://www.reuters.com/world/some-story-2024-03-07/")
    assert isinstance(result, PageRejected) and result.reason == "bot_protection"


def test_consent_page():
    html = "<html><head><title>Before you continue to Google</title></head><body><form action='https://consent.google.com/save'><button>Accept all</button></form></body></html>"
    result = parse_page("techradar", html, "https://consent.google.com/ml?continue=x")
    assert isinstance(result, PageRejected) and result.reason == "consent_page"


def test_live_blog_by_type():
    ld = json.dumps({"@type": "LiveBlogPosting", "headline": "Markets live", "datePublished": "2024-05-01T08:00:00Z"})
    result = parse_page("guardian", page(jsonld=ld), URL)
    assert isinstance(result, PageRejected) and result.reason == "live_blog"


def test_video_page():
    ld = json.dumps({"@type": "VideoObject", "name": "Watch: the launch"})
    html = page(jsonld=ld).replace('content="article"', 'content="video.other"')
    result = parse_page("bbc", html, "https://www.bbc.com/news/av/world-12345678")
    assert isinstance(result, PageRejected) and result.reason == "video"


def test_index_page():
    links = "".join(f'<li><a href="/news/{i}">Headline number {i} about something</a></li>' for i in range(60))
    html = f'<html><head><title>Technology | TechCrunch</title><meta property="og:type" content="website"></head><body><ul>{links}</ul></body></html>'
    result = parse_page("techcrunch", html, "https://techcrunch.com/category/ai/")
    assert isinstance(result, PageRejected) and result.reason == "index_page"


def test_unknown_source_raises():
    with pytest.raises(NewsalignError, match="valid sources: bbc, guardian"):
        parse_page("nytimes", page(), URL)


# --- shingle F1 ------------------------------------------------------------------------------------
def test_shingle_f1():
    text = "The quick brown fox jumps over the lazy dog"
    assert shingle_f1(text, text) == 1.0
    assert shingle_f1(text.upper().replace(" ", "  , "), text) == 1.0  # case, spacing, punctuation ignored
    assert shingle_f1("completely different words here today", text) == 0.0
    assert 0.0 < shingle_f1("The quick brown fox jumps", text) < 1.0
    assert shingle_f1("", "") == 1.0 and shingle_f1("", text) == 0.0


# --- CLI -------------------------------------------------------------------------------------------
def test_cli_parse_prints_article_json(tmp_path, capsys):
    saved = tmp_path / "page.html"
    saved.write_text(page(head=f'<link rel="canonical" href="{URL}">'), encoding="utf-8")
    assert main(["parse", "guardian", str(saved)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["url"] == URL and record["date_published"] == "2024-05-01T06:30:00+00:00"
    assert record["authors"] == ["Ada Lovelace"]


def test_cli_parse_without_canonical_uses_file_url(tmp_path, capsys):
    saved = tmp_path / "page.html"
    saved.write_text(page(), encoding="utf-8")
    assert main(["parse", "guardian", str(saved)]) == 0
    assert json.loads(capsys.readouterr().out)["url"] == saved.resolve().as_uri()


def test_cli_parse_rejected_page(tmp_path, capsys):
    saved = tmp_path / "blocked.html"
    saved.write_text(DATADOME)
    assert main(["parse", "reuters", str(saved), "--url", "https://www.reuters.com/x/"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "bot_protection" in captured.err and len(captured.err.strip().splitlines()) == 1


def test_cli_parse_unknown_source(tmp_path, capsys):
    saved = tmp_path / "page.html"
    saved.write_text(page())
    assert main(["parse", "nytimes", str(saved)]) == 1
    assert "Error: unknown source 'nytimes'; valid sources: bbc, guardian" in capsys.readouterr().err


def test_cli_parse_missing_file(capsys):
    assert main(["parse", "bbc", "/nonexistent/page.html"]) == 1
    assert "Error: no such file: /nonexistent/page.html" in capsys.readouterr().err


def test_date_falls_back_to_htmldate():
    html = (
        '<html lang="en"><head><title>Chip maker beats forecasts - Wccftech</title><meta property="og:type" content="article"></head>'
        f'<body><div class="entry-content"><time datetime="2023-03-04T10:20:30+01:00">4 March 2023</time>{BODY}</div></body></html>'
    )
    a = parse_page("wccftech", html, "https://wccftech.com/chip-maker-beats-forecasts/")
    assert a.title == "Chip maker beats forecasts"
    assert a.date_published == datetime(2023, 3, 4, 9, 20, 30, tzinfo=timezone.utc)


def test_cli_parse_explain_names_the_rule_of_each_field(tmp_path, capsys):
    saved = tmp_path / "page.html"
    saved.write_text(page(jsonld='{"@type": "NewsArticle"}'), encoding="utf-8")
    assert main(["parse", "guardian", str(saved), "--explain"]) == 0
    captured = capsys.readouterr()
    rules = dict(line.split(" <- ") for line in captured.err.strip().splitlines())
    assert json.loads(captured.out)["title"] == "Chip maker beats forecasts"
    assert rules["title"] == "og:title"  # the JSON-LD node has no headline
    assert rules["date_published"] == "meta published_time"
    assert rules["text"] == "site XPath //div[contains(@class,'article-body-commercial-selector')]"
    assert rules["authors"] == "none found"
