"""Scrapy settings for newsalign: polite by default, every pipeline on, one warehouse file.

Override any of these per run with `-s NAME=VALUE`, e.g. `scrapy crawl bbc -s NEWSALIGN_DB=/tmp/w`.
"""

from scrapy.settings import default_settings

from newsalign.core.secrets import guard_logs

BOT_NAME = "newsalign"
SPIDER_MODULES = ["newsalign.crawler.spiders"]
NEWSPIDER_MODULE = "newsalign.crawler.spiders"
COMMANDS_MODULE = "newsalign.crawler.commands"  # `scrapy crawl` checks spider arguments before starting

# Every log record of a crawl is scrubbed of secrets, from the first: Scrapy logs its overridden settings
# (`-s NEWSALIGN_DB=postgres:... password=...`) at INFO, and a catalog's errors quote the connection string.
guard_logs()

# --- politeness -------------------------------------------------------------------------------
USER_AGENT = "newsalign/0.1 (+https://github.com/newsalign/newsalign; research crawler; polite, obeys robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay is DOWNLOAD_DELAY ± 50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 3
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # refuse pages over 16 MB
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# HTTP cache: off by default; `-s HTTPCACHE_ENABLED=True` keeps every response under .scrapy/httpcache.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_IGNORE_HTTP_CODES = [401, 403, 429, 500, 502, 503, 504]

# Resumable crawls: re-run the same command after a stop, a crash or a `kill -9`: article URLs the warehouse
# already holds are skipped before the download, sitemaps and feeds are read again (newsalign.pipeline.resume).
# JOBDIR (`-s JOBDIR=crawls/bbc-1`) may be added to keep the request queue across a clean stop.
DUPEFILTER_CLASS = "newsalign.pipeline.resume.MemoryDupeFilter"
DOWNLOADER_MIDDLEWARES = {
    "newsalign.pipeline.resume.SkipStoredArticles": 50,  # before robots.txt (100): a skipped URL costs nothing
    "newsalign.pipeline.conditional.ConditionalDiscovery": 60,  # off unless NEWSALIGN_CONDITIONAL_GET
}

# --- items through the pipelines, in order (see pipeline/) ------------------------------------
# Scrapy starts CONCURRENT_ITEMS worker tasks for every response's output, however little it holds; ours hold one
# article, or the requests a sitemap or feed lists (scheduled at once). Scrapy's 100 cost ~1.7 ms a response:
# 8 made a 600-page loopback crawl 20-25% faster, with and without the pipelines (bench/RESULTS.md). Items of
# different responses are still processed at once (the LLM pipeline's calls overlap).
CONCURRENT_ITEMS = 8
ITEM_PIPELINES = {
    "newsalign.pipeline.validate.ValidatePipeline": 100,
    "newsalign.pipeline.normalize.NormalizePipeline": 200,
    "newsalign.pipeline.filter.FilterPipeline": 300,
    "newsalign.pipeline.dedup.DedupPipeline": 400,
    "newsalign.pipeline.store.StorePipeline": 500,
    "newsalign.pipeline.enrich.LlmEnrichPipeline": 600,  # off unless NEWSALIGN_ENRICH=llm
}
EXTENSIONS = {
    "newsalign.pipeline.runs.CrawlRunRecorder": 500,
}
# Scrapy's remote control (on by default since 2.19) serves an HTTP endpoint that runs any Python it is sent in the
# crawl's process, where the API keys are, and leaves its token in a job file under the user's state folder (never
# removed after a kill). Left out of Scrapy's base extensions, so it is never even imported (aiohttp and platformdirs:
# ~0.25 s a crawl; a `None` in EXTENSIONS still imports it). `-s 'EXTENSIONS={"scrapy.extensions.remote_control.
# RemoteControl": 0}'` brings it back for a run.
_REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"
EXTENSIONS_BASE = {path: order for path, order in default_settings.EXTENSIONS_BASE.items() if path != _REMOTE_CONTROL}

# Scrapy checks every response's callback for a generator that returns a value (which Scrapy would drop): it reads
# the callback's source and parses it, and caches the answer under the callable, which a bound method is made anew
# for each request: ~0.3 ms a response, every response. tests/test_spiders.py makes that check once, on every
# spider's methods.
WARN_ON_GENERATOR_RETURN_VALUE = False

# --- newsalign ---------------------------------------------------------------------------------
NEWSALIGN_DB = None  # None: $NEWSALIGN_DB, else data/warehouse
# What `scrapy crawl` checks before starting (dotted paths of functions given the settings): one raising a
# NewsalignError stops it in one `Error:` line. The crawler layer names the warehouse check, never imports it.
NEWSALIGN_PREFLIGHT = ["newsalign.pipeline.writer.check_warehouse"]
NEWSALIGN_LANGUAGES = ["en"]  # languages kept by the filter; [] keeps all
NEWSALIGN_MIN_WORDS = 150
NEWSALIGN_MAX_WORDS = 20_000
NEWSALIGN_MIN_YEAR = 1990
NEWSALIGN_NEAR_DUP_THRESHOLD = 0.8  # MinHash LSH Jaccard threshold over word shingles
NEWSALIGN_STORE_BATCH = 10_000  # rows (articles + rejects) per lake commit: each commit costs ~70 ms (bench ingest)
NEWSALIGN_STORE_FLUSH_SECONDS = 30  # ...or sooner, when this long has passed since the last flush
NEWSALIGN_CONDITIONAL_GET = False  # feeds and sitemaps asked with If-None-Match / If-Modified-Since
NEWSALIGN_ENRICH = None  # "llm": ask the LLM about each article as it arrives (pipeline/enrich.py)
NEWSALIGN_ALLOW_MISSING_URL_DATE = False  # keep items without url/date_published (imports of such dumps)
NEWSALIGN_DEDUP_INDEX = (
    None  # a pipeline.dedup.DedupIndex shared by crawls in one process (crawl all); None: the crawl's own
)

# Reuters only (its spider sets these itself so no other spider needs a browser):
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
