"""The Guardian: its news sitemap and the RSS feeds of the sections that carry business and technology news."""

from newsalign.crawler.spiders.base import NewsSpider


class GuardianSpider(NewsSpider):
    name = "guardian"
    base_url = "https://www.theguardian.com"
    news_sitemaps = ("https://www.theguardian.com/sitemaps/news.xml",)
    feeds = (
        "https://www.theguardian.com/uk/business/rss",
        "https://www.theguardian.com/uk/technology/rss",
        "https://www.theguardian.com/science/rss",
        "https://www.theguardian.com/world/rss",
    )
    robots_sitemap_follow = (r"/sitemaps/news\.xml",)
    deny = (r"/(crosswords|football/live|audio|video)/",)
