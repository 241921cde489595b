"""Scrapy commands of this project (settings COMMANDS_MODULE): `crawl`, with its arguments checked first."""
