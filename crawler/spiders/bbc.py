"""BBC News: the news sitemap index, the section RSS feeds, and the archive sitemap index for backfills."""

from newsalign.crawler.spiders.base import NewsSpider


class BbcSpider(NewsSpider):
    name = "bbc"
    base_url = "https://www.bbc.com"
    news_sitemaps = ("https://www.bbc.com/sitemaps/https-index-com-news.xml",)
    feeds = (
        "https://feeds.bbci.co.uk/news/rss.xml",
        "https://feeds.bbci.co.uk/news/business/rss.xml",
        "https://feeds.bbci.co.uk/news/technology/rss.xml",
        "https://feeds.bbci.co.uk/news/science_and_environment/rss.xml",
    )
    archive_sitemaps = ("https://www.bbc.com/sitemaps/https-index-com-archive.xml",)
    robots_sitemap_follow = (r"https-index-com-news",)
    extra_domains = ("www.bbc.co.uk",)  # the feeds link the UK edition's copies
    # Never articles: audio/TV/weather sections, and live pages, videos and reels (rejected if fetched).
    deny = (r"/(sounds|iplayer|weather|programmes|bitesize)/", r"/(live|av|videos|reel)/")
