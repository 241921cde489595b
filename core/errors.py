"""The one exception type users see: the CLI prints its message on one line, no traceback."""


class NewsalignError(Exception):
    """A user-facing error: bad input, a missing file, a misconfiguration."""
