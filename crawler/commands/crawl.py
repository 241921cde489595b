"""`scrapy crawl`, but a bad spider argument (`-a since=yesterday`) prints one `Error:` line and exits 2.

Scrapy creates the spider inside its event loop, where an exception in `__init__` surfaces as a
traceback; checking the arguments here, before the crawl starts, gives the user one clear line.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from newsalign.core.errors import NewsalignError


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spidercls = None  # Scrapy's own run() reports the unknown name
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                try:
                    check(self.settings, **opts.spargs)
                except NewsalignError as exc:
                    print(f"Error: {exc}", file=sys.stderr)
                    self.exitcode = 2
                    return
        super().run(args, opts)
