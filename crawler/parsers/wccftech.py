"""Wccftech (WordPress): NewsArticle JSON-LD and article meta tags; body = the post's `div.body`."""

import re

from newsalign.crawler.parsers.base import SiteParser


class WccftechParser(SiteParser):
    name = "wccftech"
    title_suffix = re.compile(r"\s+[|-]\s+Wccftech$")
    site_names = r"Wccftech|WCCF ?Tech"
    body_xpaths = (
        "//section[contains(@class,'content')]//div[contains(concat(' ',@class,' '),' body ')]",
        "//div[contains(@class,'entry-content')]",
    )
    # Class tokens, not substrings: `contains(@class,'ad')` also dropped "gradient", "badge" and "loaded" lists.
    drop_xpath = " | ".join(
        f".//*[contains(concat(' ',normalize-space(@class),' '),' {token}')]"
        for token in ("related", "ad ", "ads", "ad-", "adsbygoogle", "share", "tags")
    )
    video_url = re.compile(r"wccftech\.com/videos?/")
    index_url = re.compile(r"wccftech\.com/(?:topic|category|tag|author|page)/|wccftech\.com/?$")


PARSER = WccftechParser()
