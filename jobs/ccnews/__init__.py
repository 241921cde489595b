"""CC-NEWS (Common Crawl's news WARC archives) through the spiders' parsers and the crawl's pipelines.

`listing` finds the month's WARC files in the window, `stream` reads one over HTTP (retries, Range
resume), `records` keeps our hosts' responses and detects a cut file, `ledger` records each file in the
lake, `run` processes files in a pool of processes (`crawl_ccnews`).
"""
