"""TechCrunch (WordPress): NewsArticle in a Yoast @graph (author as an @id reference); the headline is
og:title without " | TechCrunch" (the JSON-LD headline is HTML-escaped with curly quotes); body =
`entry-content` (2024 block theme) or `article-content` (older theme)."""

import re

from newsalign.crawler.parsers.base import SiteParser


class TechCrunchParser(SiteParser):
    name = "techcrunch"
    title_xpaths = ("//meta[@name='sailthru.title']/@content", "//meta[@property='og:title']/@content")
    title_suffix = re.compile(r"\s+\|\s+TechCrunch$")
    site_names = r"TechCrunch"
    body_xpaths = ("//div[contains(@class,'entry-content')]", "//div[contains(@class,'article-content')]")
    drop_xpath = (
        ".//*[contains(@class,'wp-block-tc-ads') or contains(@class,'ad-unit') or contains(@class,'newsletter')"
        " or contains(@class,'wp-block-techcrunch') or contains(@class,'marfeel') or contains(@class,'embed')]"
    )
    video_url = re.compile(r"techcrunch\.com/video/")
    index_url = re.compile(r"techcrunch\.com/(?:category|tag|author|latest)/|techcrunch\.com/?$")


PARSER = TechCrunchParser()
