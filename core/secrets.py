"""The one place secrets are scrubbed: every string a command prints, a log record carries, or the
warehouse stores or exports goes through `scrub`, whatever produced it (our text, DuckDB's, libpq's,
httpx's, Scrapy's). It removes
- the configured API keys and any masked form of them (a prefix and/or a suffix of the key around
  asterisks, as OpenAI's 401 says `sk-proj-ab*****wxyz`), even when a server echoes them back;
- every password in the shapes one travels in (`_SHAPES`): a URL's `user:password@` however its slashes
  were mangled, a libpq `password=` keyword, and a secret query parameter (`?api-key=`, `&token=`, ...).

Keys are read from the environment at call time, so a key set after import is scrubbed too. `guard_logs`
scrubs every log record of the process, always; `api_key` reads a key, refusing one that no server accepts."""

from __future__ import annotations

import logging
import os
import re

from newsalign.core.errors import NewsalignError

SECRET_VARIABLES = ("OPENAI_API_KEY", "SERPAPI_API_KEY", "GUARDIAN_API_KEY")
REDACTED = "[redacted]"
HIDDEN = "***"  # what a password becomes
MIN_SECRET = 8  # shorter values (a dummy like "x") would scrub ordinary words
_MASKED = re.compile(r"([\w-]*)(\*{3,})([\w-]*)")
# Every shape a password travels in, as one pattern: each alternative keeps its lead-in (`query`, `libpq`,
# `userinfo`) and loses its value. Each is anchored on a literal or a run's start, and its repetitions are
# bounded or cannot backtrack far, so scrubbing stays linear in the length of the text.
_SHAPES = re.compile(
    r"""
    # 1. A secret query parameter: `?api-key=X`, `&api_key=X`, `;token=X`, `?access_token=X`, `?key=X`,
    #    `?password=X`, `X-Amz-Signature=X`: the value up to the next `&`, `#`, space or quote (a `:`, `,`,
    #    `.`, `;` or `)` at its end is the message's punctuation, kept: scrubbing twice changes nothing).
    (?P<query>(?<=[?&;])(?:[\w-]*[-_])?(?:apikey|key|token|secret|password|passwd|pwd|signature)=)
    (?P<query_value>[^&\#\s"'<>]{1,1024}(?<![:,.;)]))
  | # 2. A libpq keyword: `password=X`, `password = 'a \' b'` (quoted, backslash escapes), `PGPASSWORD=X`.
    #    An unquoted value ends at a space, at a `"` (DuckDB quotes the string: `at "dbname=x password=X"Unable
    #    to connect`), or at a `'` that closes a repr's string; a quoted one takes what sticks to its
    #    closing quote (a repr that doubled its backslashes).
    (?P<libpq>(?<![\w.-])(?:pg)?pass(?:word|wd)\s*=\s*)
    (?P<libpq_value>'(?:[^'\\]|\\.){0,1024}'\S{0,1024}|(?:\\.|[^\s\\"']|'(?![\s:,;)}\]]|$)){1,1024})
  | # 3. A URL's userinfo, `user:password@host`, wherever it sits: after `scheme://`, after a path
    #    normaliser's `scheme:/` (`postgres:postgresql:/u:X@h`), after `scheme:///`, or with no scheme at
    #    all (`admin:X@host:6800`). Taken from the start of a run of characters that cannot end a URL's
    #    authority: the user up to the first `:`, the password from there to the run's last `@` (an
    #    unescaped `@` or `:` in it included). Each run is read once: linear however long the text.
    (?P<userinfo>(?<![^\s/?\#"<>])(?!mailto:)[^\s/?\#"<>:@]*:)
    (?P<userinfo_value>[^\s/?\#"<>@]*(?:@[^\s/?\#"<>@]*)*)(?=@)
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _hide(match: re.Match) -> str:
    return (match["query"] or match["libpq"] or match["userinfo"]) + HIDDEN


def secrets() -> list[str]:
    return [v for name in SECRET_VARIABLES if len(v := os.environ.get(name, "").strip()) >= MIN_SECRET]


def scrub(value):
    """`value` (a string, or JSON-like dicts/lists of them) with every key, masked key and password removed:
    keys become `[redacted]`, a password `***`."""
    return _scrub(value, secrets())


def _scrub(value, keys: list[str]):
    if isinstance(value, str):
        if "@" in value or "=" in value:  # every shape has one: most text is passed over at C speed
            value = _SHAPES.sub(_hide, value)
        if not keys:
            return value
        for key in keys:
            value = value.replace(key, REDACTED)

        def masked(match: re.Match) -> str:
            head, tail = match.group(1), match.group(3)
            for key in keys:
                if (len(head) >= 3 and key.startswith(head)) or (len(tail) >= 2 and key.endswith(tail)):
                    return REDACTED
            return match.group(0)

        return _MASKED.sub(masked, value)
    if isinstance(value, dict):
        return {_scrub(k, keys): _scrub(v, keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, keys) for v in value]
    return value


def api_key(variable: str) -> str | None:
    """The API key in `$variable` (None when unset or blank), refused in one line, without showing it, when
    it is not printable ASCII: no server accepts such a key, and an HTTP header cannot even carry it."""
    key = os.environ.get(variable, "").strip()
    if not key:
        return None
    bad = next((i for i, ch in enumerate(key) if not " " <= ch <= "~"), None)
    if bad is not None:
        raise NewsalignError(
            f"${variable} must be printable ASCII (an API key is), but character {bad + 1} of its {len(key)} is not"
        )
    return key


class ScrubbedMessage:
    """A log record's message, formatted and scrubbed when first shown (`str`), then kept: most records are never
    shown (Scrapy makes a DEBUG record per request and per item, each formatting the item, and drops them
    below LOG_LEVEL), and scrubbing each as it was made cost ~0.2 ms a record. The raw message and arguments
    are let go once shown; until then only the record holds them, and `record.args` is empty."""

    __slots__ = ("_args", "_msg", "_text")

    def __init__(self, msg, args):
        self._msg, self._args, self._text = msg, args, None

    def __str__(self) -> str:
        if self._text is None:
            text = str(self._msg)
            if self._args:
                text = text % self._args
            self._text, self._msg, self._args = scrub(text), None, None
        return self._text


def guard_logs() -> None:
    """Scrub every log record, message (when it is shown: `ScrubbedMessage`) and traceback (idempotent). A
    record factory rather than a filter on named loggers: the SDK and its HTTP stack log response headers
    at DEBUG under names that change between versions (httpx, httpx2, httpcore.*), Scrapy logs its
    overridden settings (a `-s NEWSALIGN_DB=postgres:...`), and filters do not reach child loggers."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "scrubs", False):
        return

    def scrubbing(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.msg, record.args = ScrubbedMessage(record.msg, record.args), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return record

    scrubbing.scrubs = True
    logging.setLogRecordFactory(scrubbing)
