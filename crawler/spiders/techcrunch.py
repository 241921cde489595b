"""TechCrunch: its news sitemap, the main feed, and the sitemap index for backfills."""

from newsalign.crawler.spiders.base import NewsSpider


class TechcrunchSpider(NewsSpider):
    name = "techcrunch"
    base_url = "https://techcrunch.com"
    news_sitemaps = ("https://techcrunch.com/news-sitemap.xml",)
    feeds = ("https://techcrunch.com/feed/",)
    archive_sitemaps = ("https://techcrunch.com/sitemap.xml",)
    robots_sitemap_follow = (r"news-sitemap",)
    sitemap_follow = (r"sitemap-\d{4}-\d{2}|post|news",)
    deny = (r"/(events|podcasts?|video)/", r"/tag/", r"/author/")
