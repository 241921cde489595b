"""`scrapy crawl`, but bad input is refused in one `Error:` line (exit 2) before anything starts: an unknown
spider (named with the closest and the known ones), a `-s NAME=VALUE` that Scrapy and newsalign do not define or
whose value its setting cannot take (`crawler.config.checked_setting`, as `newsalign crawl` checks it), a bad
spider argument (`-a since=yesterday`); then the NEWSALIGN_PREFLIGHT checks (a warehouse that cannot be opened: one
`Error:` line, exit 1).

Scrapy would report these from inside its event loop, as a traceback (a `KeyError` for an unknown spider), or
not at all (a typo'd setting is silently ignored); checking them here gives the user one clear line.
"""

from __future__ import annotations

import difflib
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.utils.misc import load_object

from newsalign.core.errors import NewsalignError
from newsalign.crawler.config import checked_setting


class Command(ScrapyCrawl):
    refused: str | None = None

    def process_options(self, args, opts) -> None:
        try:
            for pair in opts.set or ():
                name, sep, value = pair.partition("=")
                if not sep or not name:
                    raise NewsalignError(f"-s must be NAME=VALUE, got {pair!r}")
                checked_setting(name, value)
        except NewsalignError as exc:
            self.refused = f"-s {exc}"
        super().process_options(args, opts)

    def run(self, args, opts) -> None:
        if self.refused is None and len(args) == 1 and self.crawler_process is not None:
            self.refused = self._check_spider(args[0], opts.spargs)
        if self.refused is not None:
            print(f"Error: {self.refused}", file=sys.stderr)
            self.exitcode = 2
            return
        failed = self._preflight()
        if failed is not None:
            print(f"Error: {failed}", file=sys.stderr)
            self.exitcode = 1
            return
        super().run(args, opts)

    def _preflight(self) -> str | None:
        """Why the crawl cannot run (a NEWSALIGN_PREFLIGHT check's error, e.g. an unreachable warehouse), or None.
        Found later, by a pipeline opening inside the crawl, the same error came out as Scrapy's tracebacks."""
        for path in self.settings.getlist("NEWSALIGN_PREFLIGHT"):
            try:
                load_object(path)(self.settings)
            except NewsalignError as exc:
                return str(exc)
        return None

    def _check_spider(self, name: str, arguments: dict) -> str | None:
        """Why spider `name` with `arguments` cannot run, or None."""
        loader = self.crawler_process.spider_loader
        try:
            spidercls = loader.load(name)
        except KeyError:
            known = sorted(loader.list())
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            return f"no spider named {name!r} ({hint}known: {', '.join(known)})"
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(self.settings, **arguments)
            except NewsalignError as exc:
                return str(exc)
        return None
