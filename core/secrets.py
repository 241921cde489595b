"""The one place secrets are scrubbed: every string a crawl, an enrichment or the warehouse stores, logs,
prints or exports goes through `scrub`, which removes the configured API keys and any masked form of them (a
prefix and/or a suffix of the key around asterisks, as OpenAI's 401 says `sk-proj-ab*****wxyz`), even when a
server echoes them back in an error body, a header or a batch error file, and every libpq password
(`password=x`, `password='x y'`, `postgresql://user:x@host`), as a Postgres catalog's errors repeat it.

Keys are read from the environment at call time, so a key set after import is scrubbed too."""

from __future__ import annotations

import logging
import os
import re

SECRET_VARIABLES = ("OPENAI_API_KEY", "SERPAPI_API_KEY", "GUARDIAN_API_KEY")
REDACTED = "[redacted]"
MIN_SECRET = 8  # shorter values (a dummy like "x") would scrub ordinary words
_MASKED = re.compile(r"([\w-]*)(\*{3,})([\w-]*)")
# A libpq password, as a keyword (`password=x`, `password='x y'`) or inside a URI (`postgresql://u:x@h`).
_PASSWORD = re.compile(r"""(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s"]+)|(://[^:/@\s]*:)[^@\s]*(@)""", re.IGNORECASE)


def secrets() -> list[str]:
    return [v for name in SECRET_VARIABLES if len(v := os.environ.get(name, "").strip()) >= MIN_SECRET]


def scrub(value):
    """`value` (a string, or JSON-like dicts/lists of them) with every key, masked key and password removed:
    keys become `[redacted]`, a password `***`."""
    return _scrub(value, secrets())


def _scrub(value, keys: list[str]):
    if isinstance(value, str):
        value = _PASSWORD.sub(lambda m: f"{m[1]}***" if m[1] else f"{m[3]}***{m[4]}", value)
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


def guard_logs() -> None:
    """Scrub every log record as it is created (idempotent). A record factory rather than a filter
    on named loggers: the SDK and its HTTP stack log response headers at DEBUG under names that
    change between versions (httpx, httpx2, httpcore.*), and filters do not reach child loggers."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "scrubs", False):
        return

    def scrubbing(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if secrets():
            record.msg, record.args = scrub(record.getMessage()), ()
        return record

    scrubbing.scrubs = True
    logging.setLogRecordFactory(scrubbing)
