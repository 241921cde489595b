"""The command line's parameter types: every option value checked where Click reads it, by type, and refused in
one line that names the option, the value and what is allowed (`Error: --rpm must be a positive number, got inf`).

Click's own `IntRange`/`FloatRange` let NaN, infinities and numbers no column holds through, and say "Invalid
value for ..."; these types refuse them and all speak alike. Use the ready-made instances (`POSITIVE_INT`,
`SEED`, `FRACTION`, ...) or make one (`Integer(min=8)`, `Number(min=0.1)`) where a range is particular.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click

from newsalign.core.errors import NewsalignError

BIGGEST = 2**63 - 1  # DuckDB's BIGINT: a count no table, LIMIT or range() chokes on


class Refused(click.BadParameter):
    """A bad value, shown in one line as `Error: --option <what is wrong>` (exit 2, Click's for bad usage;
    Click would say "Invalid value for '--option': ..." after the command's usage)."""

    def format_message(self) -> str:
        return f"{parameter_name(self.param)} {self.message}"

    def show(self, file=None) -> None:
        click.ClickException.show(self, file)  # the line alone: no usage above it


def parameter_name(param: click.Parameter | None) -> str:
    """`--rpm` for an option (its longest name), `QUERY` for an argument, `value` outside Click."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name if param is not None else "value"


def shown(value: Any) -> str:
    """A value as the message shows it: a plain token as typed (`inf`, `-1`), anything else quoted (`''`)."""
    text = str(value)
    return text if re.fullmatch(r"[\w.+:/@-]+", text) else repr(text)


class Checked(click.ParamType):
    """A parameter type whose failures read `--option must be ..., got VALUE`."""

    def fail(self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None) -> NoReturn:
        raise Refused(message, ctx=ctx, param=param)


class Integer(Checked):
    """A whole number within [min, max] (max: a BIGINT at most)."""

    name = "integer"

    def __init__(self, min: int | None = None, max: int = BIGGEST):
        self.min, self.max = min, max

    @property
    def allowed(self) -> str:
        if self.min is not None and self.max != BIGGEST:
            return f"a whole number from {self.min} to {self.max}"
        if self.min is not None:
            return f"a whole number of at least {self.min}"
        return f"a whole number of at most {self.max}"

    def convert(self, value, param, ctx) -> int:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            try:
                number = int(value)
            except ValueError:  # more digits than Python reads (4300)
                number = self.max + 1
        if number is None:
            self.fail(f"must be {self.allowed}, got {shown(value)}", param, ctx)
        if (self.min is not None and number < self.min) or number > self.max:
            tail = f" (at most {self.max})" if number > self.max and self.max == BIGGEST else ""
            self.fail(f"must be {self.allowed}{tail}, got {shown(value)}", param, ctx)
        return number


class Number(Checked):
    """A finite number within its bounds (each closed, or open: `min_open`, `max_open`)."""

    name = "number"

    def __init__(
        self,
        min: float | None = None,
        max: float | None = None,
        *,
        min_open: bool = False,
        max_open: bool = False,
        what: str | None = None,
    ):
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open
        self.what = what or self._describe()

    def _describe(self) -> str:
        if self.min == 0 and self.min_open and self.max is None:
            return "a positive number"
        if self.min == 0 and self.max is None:
            return "a number of at least 0"
        if self.min is not None and self.max is not None:
            return f"a number from {self.min} to {self.max}"
        if self.min is not None:
            return f"a number {'above' if self.min_open else 'of at least'} {self.min}"
        return f"a number {'below' if self.max_open else 'of at most'} {self.max}"

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"must be {self.what}, got {shown(value)}", param, ctx)
        low_ok = self.min is None or (number > self.min if self.min_open else number >= self.min)
        high_ok = self.max is None or (number < self.max if self.max_open else number <= self.max)
        if not (math.isfinite(number) and low_ok and high_ok):
            self.fail(f"must be {self.what}, got {shown(value)}", param, ctx)
        return number


class Text(Checked):
    """Text that says something: not empty or blank, valid UTF-8, no control characters (a name, a model)."""

    name = "text"

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        if not text.strip():
            self.fail("must not be empty", param, ctx)
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            self.fail(f"must be valid UTF-8, got {text.encode('utf-8', 'surrogateescape')!r}", param, ctx)
        if any(unicodedata.category(c) == "Cc" for c in text):
            self.fail(f"must not hold control characters, got {text!r}", param, ctx)
        return text.strip()


TEXT = Text()


class Identifier(Text):
    """A SQL name (a view or table of the lake): letters, digits and underscores, not starting with a digit."""

    name = "identifier"

    def convert(self, value, param, ctx) -> str:
        text = super().convert(value, param, ctx)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
            self.fail(f"must be the name of a view or table like v_signal, got {shown(value)}", param, ctx)
        return text


IDENTIFIER = Identifier()


class HttpUrl(Text):
    """An http(s) URL with a host."""

    name = "url"

    def convert(self, value, param, ctx) -> str:
        text = super().convert(value, param, ctx)
        try:
            parts = urlsplit(text)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            _ = parts.port  # a port that is no number raises here
        except ValueError:
            ok = False
        if not ok:
            self.fail(f"must be an http(s) URL like http://127.0.0.1:8000, got {text!r}", param, ctx)
        return text


HTTP_URL = HttpUrl()


class Language(Text):
    """A language code py3langid knows (what the crawl's filter can recognise), or `all`."""

    name = "language"

    def convert(self, value, param, ctx) -> str:
        from newsalign.core.language import language_identifier

        code = super().convert(value, param, ctx).lower()
        known = sorted(language_identifier().nb_classes)
        if code != "all" and code not in known:
            self.fail(f"must be a language code ({', '.join(known[:8])}, ...; or all), got {code!r}", param, ctx)
        return code


class Geo(Checked):
    """A Google Trends geo code: empty for worldwide, else a country (`US`) or a region (`US-CA`)."""

    name = "geo"

    def convert(self, value, param, ctx) -> str:
        code = str(value).upper()
        if code and not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3}){0,2}", code):
            self.fail(
                f"must be a country or region code like US or US-CA (empty: worldwide), got {shown(value)}", param, ctx
            )
        return code


class Duration(Checked):
    """A time span: `90s`, `15m`, `1h`, `1d`, or seconds; above zero, at most `max_seconds`."""

    name = "duration"
    UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}

    def __init__(self, max_seconds: float = 30 * 86400):
        self.max_seconds = max_seconds

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        else:
            match = re.fullmatch(r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*([smhd]?)\s*", str(value))
            seconds = float(match[1]) * self.UNITS[match[2]] if match else -1.0
        if not 0 < seconds <= self.max_seconds:
            self.fail(
                f"must be a duration like 90s, 15m or 1h (above 0, at most {self.max_seconds / 86400:g} days), "
                f"got {shown(value)}",
                param,
                ctx,
            )
        return seconds


class Period(Checked):
    """A month (`2024-06`, or a day when `months` is False: `2024-06-15`) as its (first, last) day, from
    `earliest` to the current month (nothing later has been published)."""

    name = "period"

    def __init__(self, earliest: date, *, months: bool = True):
        self.earliest, self.months = earliest, months

    def convert(self, value, param, ctx) -> tuple[date, date]:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        today = date.today()
        first = last = None
        try:
            if self.months and re.fullmatch(r"\d{4}-\d{2}", text):
                first = date.fromisoformat(f"{text}-01")
                last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                first = last = date.fromisoformat(text)
        except (ValueError, OverflowError):  # no such day; the month after 9999-12
            first = None
        if first is None or last is None or first < self.earliest or first > today:
            like = "a month like 2024-06 or a day like 2024-06-15" if self.months else "a day like 2024-06-15"
            latest = f"{today:%Y-%m}" if self.months else today.isoformat()
            earliest = f"{self.earliest:%Y-%m}" if self.months else self.earliest.isoformat()
            self.fail(f"must be {like}, from {earliest} to {latest}, got {shown(value)}", param, ctx)
        return first, last


class HttpUrls(Checked):
    """A comma-separated list of http(s) URLs (Scrapyd nodes), at least one."""

    name = "urls"

    def convert(self, value, param, ctx) -> list[str]:
        if isinstance(value, list):
            return value
        urls = [part.strip() for part in str(value).split(",") if part.strip()]
        if not urls:
            self.fail(f"must list at least one URL, got {shown(value)}", param, ctx)
        try:
            return [HTTP_URL.convert(url, None, None) for url in urls]
        except click.BadParameter as exc:
            self.fail(f"holds a URL that {exc.message}", param, ctx)


class Shard(Checked):
    """`i/N` (1 <= i <= N): this run's share of the work, as (i, N)."""

    name = "shard"

    def convert(self, value, param, ctx) -> tuple[int, int]:
        from newsalign.core.shards import parse_shard

        if isinstance(value, tuple):
            return value
        try:
            shard = parse_shard(str(value))
        except NewsalignError as exc:  # its message names --shard already
            self.fail(str(exc).removeprefix("--shard "), param, ctx)
        assert shard is not None
        return shard


SHARD = Shard()


def known_sources() -> tuple[str, ...]:
    from newsalign.crawler.parsers import SOURCES

    return SOURCES


class Sources(Checked):
    """A comma-separated list of known sources (the spiders), each once, in the order given."""

    name = "sources"

    def convert(self, value, param, ctx) -> list[str]:
        if isinstance(value, list):
            return value
        known = known_sources()
        chosen = [part.strip() for part in str(value).split(",")]
        if not any(chosen):
            self.fail(f"must name at least one source ({', '.join(known)}), got {shown(value)}", param, ctx)
        unknown = [name for name in chosen if name not in known]
        if unknown:
            self.fail(f"names unknown source(s): {', '.join(unknown)}; known: {', '.join(known)}", param, ctx)
        return list(dict.fromkeys(chosen))


SOURCES = Sources()


class Site(Checked):
    """`SOURCE=URL`: a known source and the http(s) base URL standing in for its hosts, as (source, url)."""

    name = "site"

    def convert(self, value, param, ctx) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        source, sep, url = str(value).partition("=")
        known = known_sources()
        if not sep:
            self.fail(f"must be SOURCE=URL (e.g. bbc=http://127.0.0.1:8123), got {shown(value)}", param, ctx)
        if source not in known:
            self.fail(f"{source!r}: no such source; known: {', '.join(known)}", param, ctx)
        try:
            return source, HTTP_URL.convert(url, None, None)
        except click.BadParameter as exc:
            self.fail(f"{source}=URL: the URL {exc.message}", param, ctx)


SITE = Site()


class Setting(Checked):
    """`-s NAME=VALUE`: a setting Scrapy or newsalign defines, its value checked by type, as (name, value)."""

    name = "setting"

    def convert(self, value, param, ctx) -> tuple[str, Any]:
        from newsalign.crawler.config import checked_setting

        if isinstance(value, tuple):
            return value
        name, sep, text = str(value).partition("=")
        if not sep or not name.strip():
            self.fail(f"must be NAME=VALUE (e.g. DOWNLOAD_DELAY=2), got {shown(value)}", param, ctx)
        try:
            return checked_setting(name.strip(), text)
        except NewsalignError as exc:
            self.fail(str(exc), param, ctx)


SETTING = Setting()

# The ones most options need.
POSITIVE_INT = Integer(min=1)  # a count of things to do: at least one
COUNT = Integer(min=0)  # a count where 0 means none (or, where said, no limit)
SEED = Integer(min=0, max=2**32 - 1)  # what numpy's and torch's seeding take
PORT = Integer(min=1, max=65535)
POSITIVE = Number(min=0, min_open=True)  # rates, seconds
NON_NEGATIVE = Number(min=0)
FRACTION = Number(min=0, max=1, what="a share from 0 to 1")
OPEN_FRACTION = Number(min=0, max=1, min_open=True, max_open=True, what="a share between 0 and 1 (both excluded)")
POSITIVE_SECONDS = Number(min=0, min_open=True, max=86400, what="a number of seconds above 0, at most 86400")
NON_NEGATIVE_SECONDS = Number(min=0, max=86400, what="a number of seconds from 0 to 86400")
DURATION = Duration()
EARLIEST_NEWS = date(1990, 1, 1)  # NEWSALIGN_MIN_YEAR's default: the crawl stores nothing older
LANGUAGE = Language()
