"""The Guardian: NewsArticle JSON-LD (2023+) or article meta tags (older layouts); the standfirst is
the lead; body = paragraphs and subheadings of the `article-body` / `articleBody` container."""

import re

from newsalign.crawler.parsers.base import SiteParser


class GuardianParser(SiteParser):
    name = "guardian"
    title_suffix = re.compile(r"(?:\s+\|\s+[^|]+)*\s+\|\s+The Guardian$")
    site_names = r"(?:The )?Guardian|guardian\.co\.uk|theguardian\.com"
    lead_xpaths = ("//*[@data-gu-name='standfirst']", "//*[contains(@class,'content__standfirst')]")
    body_xpaths = (
        "//div[contains(@class,'article-body-commercial-selector')]",
        "//*[@itemprop='articleBody']",
        "//div[@id='maincontent']",
    )
    drop_xpath = ".//*[contains(@class,'element-rich-link') or contains(@class,'submeta') or @data-spacefinder-role='inline' and not(self::p)]"
    live_url = re.compile(r"theguardian\.com/[^?]*/live/")
    video_url = re.compile(r"theguardian\.com/[^?]*/video/")
    index_url = re.compile(r"theguardian\.com/(?:[a-z-]+(?:/[a-z-]+)?)?/?$")


PARSER = GuardianParser()
