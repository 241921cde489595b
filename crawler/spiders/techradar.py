"""TechRadar: its news sitemap, the main feed, and the monthly sitemaps (/sitemap-YYYY-MM.xml) for backfills."""

from newsalign.crawler.spiders.base import NewsSpider


class TechradarSpider(NewsSpider):
    name = "techradar"
    base_url = "https://www.techradar.com"
    news_sitemaps = ("https://www.techradar.com/sitemap-news.xml",)
    feeds = ("https://www.techradar.com/feeds.xml",)
    archive_sitemaps = ("https://www.techradar.com/sitemap.xml",)
    robots_sitemap_follow = (r"sitemap-news",)
    sitemap_follow = (r"sitemap-\d{4}-\d{2}",)
    # Deals and voucher pages, price comparisons, affiliate outlinks, infinite-scroll page fragments.
    deny = (r"/deals/", r"/vouchers/", r"/(?:compare|outlink|redirect)/", r"[?&](?:page|infinite)=", r"/page/\d+/?$")
