"""Reuters: NewsArticle JSON-LD (2023 pages name the author in `byline`, not `name`); body paragraphs are
`data-testid="paragraph-N"` elements (2021+ Fusion layout) or `ArticleBody` paragraphs (2020 layout).
Plain HTTP clients get a DataDome 401 page instead, rejected as `bot_protection`."""

import re

from newsalign.crawler.parsers.base import SiteParser


class ReutersParser(SiteParser):
    name = "reuters"
    title_suffix = re.compile(r"\s+\|\s+Reuters(?:\.com)?$")
    site_names = r"Reuters(?:\.com)?"
    body_xpaths = (
        "//div[@data-testid='ArticleBody']",
        "//div[contains(@class,'article-body__content')]",
        "//div[contains(@class,'ArticleBodyWrapper')]",
        "//article",
    )
    block_xpath = ".//*[starts-with(@data-testid,'paragraph-')]"
    drop_xpath = (
        ".//*[contains(@class,'RelatedCoverage') or contains(@class,'read-next') or contains(@class,'read-time')"
        " or contains(@class,'Slideshow') or contains(@class,'info-content') or contains(@class,'byline')"
        " or @data-testid='promo-box' or contains(@class,'Image') or contains(@class,'toolbar')"
        " or contains(@class,'article-prime')] | .//p[a[contains(@href,'trust-principles')]]"
    )
    live_url = re.compile(r"reuters\.com/[^?]*/live[/-]")
    video_url = re.compile(r"reuters\.com/video/")
    index_url = re.compile(r"reuters\.com/(?:[a-z-]+(?:/[a-z-]+)?)?/?$")


PARSER = ReutersParser()
