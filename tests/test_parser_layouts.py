"""Older layouts (2010-2016) the fixtures do not show, built here from the sites' conventions of the time:
titles with the site's name before them or an author after them, `<meta ... value=>` dates, bullet lists,
promo boxes and datelines in the body, video and non-English pages."""

from __future__ import annotations

from datetime import datetime, timezone

from newsalign.crawler.items import Article, PageRejected
from newsalign.crawler.parsers import parse_page

SENTENCES = [
    f"Sentence {i}: the company said sales of its new handset rose sharply in the quarter to March." for i in range(8)
]


def old_page(*, head: str = "", title: str = "", body: str = "", container: str = "story-body__inner") -> str:
    """A page of the 2010-2016 kind: no JSON-LD, Open Graph and old meta tags, a classed body div."""
    paragraphs = body or "".join(f"<p>{s}</p>" for s in SENTENCES)
    return (
        f'<html lang="en-GB"><head><title>{title}</title><meta property="og:type" content="article">{head}</head>'
        f'<body><div class="{container}">{paragraphs}</div></body></html>'
    )


def test_site_name_before_the_headline_is_stripped():
    a = parse_page(
        "bbc",
        old_page(title="BBC News - Apple unveils a larger iPhone"),
        "https://www.bbc.co.uk/news/technology-19558034",
    )
    assert a.title == "Apple unveils a larger iPhone"


def test_author_after_the_headline_is_stripped():
    head = '<meta property="og:title" content="Why the chip shortage is not over | Ada Example"><meta name="author" content="Ada Example">'
    html = old_page(head=head, title="x", container="article-body-blocks").replace(
        'class="article-body-blocks"', 'itemprop="articleBody"'
    )
    a = parse_page("guardian", html, "https://www.theguardian.com/commentisfree/2013/apr/02/chip-shortage")
    assert a.title == "Why the chip shortage is not over" and a.authors == ["Ada Example"]


def test_shortened_og_title_gives_way_to_the_visible_headline():
    head = '<meta property="og:title" content="Apple unveils iPhone 5">'
    html = old_page(head=head, title="Apple unveils iPhone 5").replace(
        "<body>", "<body><h1>Apple unveils iPhone 5 with a bigger screen and faster chip</h1>"
    )
    a = parse_page(
        "techradar",
        html.replace("story-body__inner", 'x" id="article-body'),
        "https://www.techradar.com/news/phone-and-communications/mobile-phones/apple-unveils-iphone-5-1098877",
    )
    assert a.title == "Apple unveils iPhone 5 with a bigger screen and faster chip"


def test_unrelated_longer_h1_does_not_replace_the_title():
    html = old_page(head='<meta property="og:title" content="Apple unveils iPhone 5">').replace(
        "<body>", "<body><h1>Most popular stories today on the site</h1>"
    )
    a = parse_page("bbc", html, "https://www.bbc.co.uk/news/technology-19558034")
    assert a.title == "Apple unveils iPhone 5"


def test_meta_value_attribute_is_read():
    head = (
        '<meta name="OriginalPublicationDate" value="2012/09/12 18:06:41">'
        '<meta property="article:modified_time" content="2016-01-01T00:00:00Z">'
    )
    a = parse_page(
        "bbc", old_page(head=head, title="Apple unveils iPhone 5"), "https://www.bbc.co.uk/news/technology-19558034"
    )
    assert a.date_published == datetime(2012, 9, 12, 18, 6, 41, tzinfo=timezone.utc)


def test_bullet_list_in_the_old_bbc_body_is_kept():
    body = "".join(f"<p>{s}</p>" for s in SENTENCES[:4]) + (
        '<ul class="story-body__unordered-list"><li class="story-body__list-item">Screen grows to four inches</li>'
        '<li class="story-body__list-item">Battery life of eight hours</li></ul>'
    )
    a = parse_page(
        "bbc", old_page(body=body, title="Apple unveils iPhone 5"), "https://www.bbc.co.uk/news/technology-19558034"
    )
    assert "Screen grows to four inches\n\nBattery life of eight hours" in a.text


def test_wccftech_list_with_ad_like_class_is_kept():
    body = (
        "".join(f"<p>{s}</p>" for s in SENTENCES[:5])
        + '<ul class="gradient-list"><li>Core clock 1.8 GHz</li></ul><div class="ad-slot"><p>Buy now</p></div>'
    )
    html = old_page(body=body, title="GPU specs leak - Wccftech", container="entry-content")
    a = parse_page("wccftech", html, "https://wccftech.com/gpu-specs-leak/")
    assert "Core clock 1.8 GHz" in a.text and "Buy now" not in a.text and a.title == "GPU specs leak"


def test_promo_boxes_and_dateline_are_dropped():
    body = (
        "<p>Monday 14 March 2011 13.50 GMT</p>"
        + "".join(f"<p>{s}</p>" for s in SENTENCES[:5])
        + "<p><strong>Trending on Wccftech: the best GPUs of the year</strong></p>"
        + "<p>Full article: Apple's next handset</p>"
    )
    a = parse_page(
        "guardian",
        old_page(body=body, title="Handset sales rise", container='x" id="maincontent'),
        "https://www.theguardian.com/technology/2011/mar/14/handset-sales",
    )
    assert a.text.startswith("Sentence 0") and "Trending" not in a.text and "Full article" not in a.text


def test_video_page_outside_the_video_url_patterns_is_video():
    links = "".join(f'<a href="/news/{i}">Story {i}</a>' for i in range(40))
    html = (
        '<html lang="en"><head><title>BBC News - Watch: the launch</title>'
        '<meta property="og:video" content="https://www.bbc.co.uk/emp/player.swf"></head>'
        f'<body><div id="emp-content"><video src="launch.mp4"></video><p>The rocket lifts off.</p></div>{links}</body></html>'
    )
    result = parse_page("bbc", html, "https://www.bbc.co.uk/news/world-us-canada-12345678")
    assert isinstance(result, PageRejected) and result.reason == "video"


def test_chinese_page_is_rejected_for_its_language():
    chinese = "".join(f"<p>第{i}段：这家芯片制造商本季度的销售额大幅增长，超过了分析师的预期。</p>" for i in range(8))
    html = old_page(body=chinese, title="芯片制造商销售额增长").replace('lang="en-GB"', 'lang="zh-CN"')
    result = parse_page("bbc", html, "https://www.bbc.com/zhongwen/simp/business-12345678")
    assert isinstance(result, PageRejected) and result.reason == "language"


def test_old_layout_article_is_an_article():
    a = parse_page(
        "bbc", old_page(title="BBC News - Apple unveils iPhone 5"), "https://www.bbc.co.uk/news/technology-19558034"
    )
    assert isinstance(a, Article) and a.language == "en" and len(a.text.split("\n\n")) == 8
