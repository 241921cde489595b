"""TechRadar (Future plc): NewsArticle JSON-LD with HTML-escaped headline; the strapline is the lead;
body = `#article-body` without product widgets, "related" boxes and buying guides."""

import re

from newsalign.crawler.parsers.base import SiteParser


class TechRadarParser(SiteParser):
    name = "techradar"
    title_suffix = re.compile(r"\s+\|\s+TechRadar$")
    site_names = r"TechRadar(?: Pro)?"
    lead_xpaths = ("//header//p[contains(@class,'strapline')]", "//p[contains(@class,'strapline')]")
    body_xpaths = ("//div[@id='article-body']",)
    drop_xpath = (
        ".//*[contains(@class,'hawk') or contains(@class,'product') or contains(@class,'newsletter')"
        " or contains(@class,'see-more') or contains(@class,'fancy-box') or contains(@class,'jwplayer')"
        " or contains(@class,'affiliate') or contains(@class,'van_vid') or contains(@class,'inline-ad')"
        " or contains(@class,'social-embed') or @data-widget-type]"
        " | .//p[a[contains(@href,'news.google.com') or contains(@href,'google.com/preferences/source')]]"
    )
    video_url = re.compile(r"techradar\.com/video/")
    index_url = re.compile(r"techradar\.com/(?:[a-z-]+)?/?$")


PARSER = TechRadarParser()
