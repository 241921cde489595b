"""BBC News: ReportageNewsArticle JSON-LD; the headline is the page's <h1> (the JSON-LD headline and
og:title are often a shorter "promo" headline); body = the text and subheading blocks of <article>
(2023+ Next.js layout) or `story-body__inner` (pre-2023 layout)."""

import re

from newsalign.crawler.parsers.base import SiteParser


class BBCParser(SiteParser):
    name = "bbc"
    title_xpaths = ("//main//article//h1", "//h1[@id='main-heading']", "//h1[contains(@class,'story-body__h1')]")
    title_suffix = re.compile(r"\s+-\s+BBC(?: News| Sport)?$")
    site_names = r"BBC(?: News| Sport)?(?: Online)?"
    body_xpaths = (
        "//main//article",
        "//div[@property='articleBody']",
        "//div[contains(@class,'story-body__inner')]",
    )
    drop_xpath = (
        ".//*[@data-component and not(@data-component='text-block' or @data-component='subheadline-block'"
        " or @data-component='unordered-list-block' or @data-component='ordered-list-block')]"
        " | .//*[contains(@class,'embed')]"
        " | .//*[@data-testid='byline'] | .//h1"
    )
    section_meta = ("article:section", "page.subsection", "page.section")
    tags_xpath = "//*[@data-component='tags' or @data-component='tag-list-block']//a//text() | //*[contains(@class,'tags-container')]//a//text()"
    live_url = re.compile(r"/live/")
    video_url = re.compile(r"/av/|/videos/")
    index_url = re.compile(r"bbc\.(?:com|co\.uk)/(?:news|sport)?/?(?:[a-z_-]+)?/?$")


PARSER = BBCParser()
