"""Wccftech: the main feed, and the Yoast sitemap index (its post sitemaps) for backfills."""

from newsalign.crawler.spiders.base import NewsSpider


class WccftechSpider(NewsSpider):
    name = "wccftech"
    base_url = "https://wccftech.com"
    feeds = ("https://wccftech.com/feed/",)
    archive_sitemaps = ("https://wccftech.com/sitemap_index.xml",)
    robots_sitemap_follow = (r"news-sitemap",)
    sitemap_follow = (r"post-sitemap",)
    deny = (r"/(deals|category|author|tag)/",)
