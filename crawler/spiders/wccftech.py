"""Wccftech: its Google News sitemap (Yoast News: every article of the last two days, where the main feed
holds a few dozen), the main feed, and the Yoast sitemap index (its post sitemaps) for backfills."""

from newsalign.crawler.spiders.base import NewsSpider


class WccftechSpider(NewsSpider):
    name = "wccftech"
    base_url = "https://wccftech.com"
    news_sitemaps = ("https://wccftech.com/news-sitemap.xml",)
    feeds = ("https://wccftech.com/feed/",)
    archive_sitemaps = ("https://wccftech.com/sitemap_index.xml",)
    robots_sitemap_follow = (r"news-sitemap",)
    sitemap_follow = (r"post-sitemap",)
    deny = (r"/(deals|category|author|tag)/",)
