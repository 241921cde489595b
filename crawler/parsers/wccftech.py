"""Wccftech (WordPress): NewsArticle JSON-LD and article meta tags; body = the post's `div.body`."""

import re

from newsalign.crawler.parsers.base import SiteParser


class WccftechParser(SiteParser):
    name = "wccftech"
    title_suffix = re.compile(r"\s+[|-]\s+Wccftech$")
    body_xpaths = (
        "//section[contains(@class,'content')]//div[contains(concat(' ',@class,' '),' body ')]",
        "//div[contains(@class,'entry-content')]",
    )
    drop_xpath = ".//*[contains(@class,'related') or contains(@class,'ad') and not(contains(@class,'head')) or contains(@class,'share') or contains(@class,'tags')]"
    video_url = re.compile(r"wccftech\.com/videos?/")
    index_url = re.compile(r"wccftech\.com/(?:topic|category|tag|author|page)/|wccftech\.com/?$")


PARSER = WccftechParser()
