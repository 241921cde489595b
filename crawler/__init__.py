"""The Scrapy project: one spider per source, one parser module per source."""
