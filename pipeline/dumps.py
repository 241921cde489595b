"""Read article dumps (the thesis's JSON list, JSONL, CSV, Parquet) into `Article`s, with DuckDB's readers.

Columns are matched by name, case-insensitively: title (required); text, body or content — or, failing
those, description, in which case the text is the title and the description as two paragraphs (AG News);
url or link; date_published, date, published or published_at; source; authors or author; section; tags.
Other columns (an old `id`, labels, ...) are ignored: ids are recomputed from the canonical URL.
A file without a url/link or date column is allowed to yield rows without them (NULL url and date,
id = hash of source + content); see `Dump.missing`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from newsalign.core.errors import NewsalignError
from newsalign.crawler.items import Article, PageRejected

FORMATS = ("json", "jsonl", "csv", "parquet")
_EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_READERS = {
    "json": "read_json(?, format='auto', sample_size=-1)",
    "jsonl": "read_json(?, format='newline_delimited', sample_size=-1)",
    "csv": "read_csv(?, header=true, all_varchar=true)",
    "parquet": "read_parquet(?)",
}
TEXT_COLUMNS = ("text", "body", "content")
COLUMNS = {
    "url": ("url", "link"),
    "date": ("date_published", "date", "published", "published_at"),
    "source": ("source",),
    "authors": ("authors", "author"),
    "section": ("section",),
    "tags": ("tags",),
}
BATCH_ROWS = 10_000


@dataclass
class Dump:
    """An opened dump: `rows` to read, which of url/date the file has no column for (`missing`), and the
    `source` every row gets (None when a `source` column names it per row)."""

    path: Path
    fmt: str
    rows: int
    missing: list[str]
    source: str | None
    _con: duckdb.DuckDBPyConnection
    _query: str
    _json_lists: tuple[str, ...] = ()

    def articles(self) -> Iterator[Article | PageRejected]:
        """The rows as `Article`s; a row that cannot be one (a date that is not a date, a list column
        that is not a list) as a `PageRejected` at stage `import` whose detail names its row number."""
        fetched_at = datetime.now(timezone.utc)
        reader = self._con.sql(self._query, params=[str(self.path)]).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            for row in batch.to_pylist():
                source = self.source or str(row["source"] or self.path.stem)
                where = f"row {row['row_number']}"
                if row["date_published"] is None and row["date_raw"] is not None:
                    yield self._rejected(row, source, "bad_date", f"{where}: {row['date_raw'][:80]!r} is not a date")
                    continue
                try:
                    authors, tags = (
                        _str_list(json.loads(row[key]) if key in self._json_lists and row[key] else row[key])
                        for key in ("authors", "tags")
                    )
                except (TypeError, ValueError) as exc:
                    yield self._rejected(row, source, "bad_type", f"{where}: {exc}")
                    continue
                yield Article(
                    id="",
                    source=source,
                    url=row["url"],
                    title=row["title"],
                    date_published=row["date_published"],
                    text=row["text"],
                    authors=authors,
                    section=row["section"],
                    tags=tags,
                    fetched_at=fetched_at,
                )

    def _rejected(self, row: dict, source: str, reason: str, detail: str) -> PageRejected:
        return PageRejected(source, row["url"] or f"{self.path.name}#row={row['row_number']}", reason, detail, "import")


def open_dump(path: str | Path, *, fmt: str | None = None, source: str | None = None) -> Dump:
    """Check the file and its columns; raise `NewsalignError` with one clear line if unusable."""
    path = Path(path)
    if not path.is_file():
        raise NewsalignError(f"no such file: {path}")
    fmt = fmt or _EXTENSIONS.get(path.suffix.lower())
    if fmt not in FORMATS:
        raise NewsalignError(
            f"cannot tell the format of {path.name} from its extension; pass --format ({', '.join(FORMATS)})"
        )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # dates without an offset are read as UTC
    reader = _READERS[fmt]
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}", [str(path)]).fetchall()
        names = [row[0] for row in described]
        # Counting reads every row: a malformed one past the sniffed sample (a CSV row with extra columns) fails here.
        [(rows,)] = con.execute(f"SELECT count(*) FROM {reader}", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise NewsalignError(f"cannot read {path} as {fmt}: {str(exc).splitlines()[0]}") from None
    by_lower = {n.lower(): n for n in names}
    text_col = next((by_lower[c] for c in TEXT_COLUMNS if c in by_lower), None)
    missing_required = [
        name for name, ok in (("title", "title" in by_lower), ("text", text_col or "description" in by_lower)) if not ok
    ]
    if missing_required:
        wanted = {"title": "title", "text": "text (or body, content, description)"}
        raise NewsalignError(
            f"{path.name}: missing required column(s): {', '.join(wanted[m] for m in missing_required)}; it has: {', '.join(names)}"
        )
    found = {key: next((by_lower[c] for c in options if c in by_lower), None) for key, options in COLUMNS.items()}

    def col(name: str | None, cast: str = "") -> str:
        return f'"{name}"{cast}' if name else "NULL"

    title = col(by_lower["title"], "::VARCHAR")
    if text_col:
        text = col(text_col, "::VARCHAR")
    else:  # AG News style: the title and the description are the article
        desc = col(by_lower["description"], "::VARCHAR")
        text = f"CASE WHEN trim(coalesce({desc}, '')) = '' THEN {desc} ELSE {title} || chr(10) || chr(10) || {desc} END"
    query = f"""
        SELECT {title} AS title, {text} AS text, {col(found["url"], "::VARCHAR")} AS url,
               {_date(col(found["date"]))} AS date_published, {col(found["date"], "::VARCHAR")} AS date_raw,
               {col(found["source"], "::VARCHAR")} AS source, {col(found["authors"])} AS authors,
               {col(found["section"], "::VARCHAR")} AS section, {col(found["tags"])} AS tags,
               row_number() OVER () AS row_number
        FROM {reader}"""
    missing = [key for key in ("url", "date") if found[key] is None]
    if source is None and found["source"] is None:
        source = path.stem
    # A list column whose rows mix lists and other values is read as JSON text: decoded per row.
    json_lists = tuple(
        key for key in ("authors", "tags") if found[key] and {r[0]: r[1] for r in described}[found[key]] == "JSON"
    )
    return Dump(path, fmt, rows, missing, source, con, query, json_lists)


def _date(column: str) -> str:
    """SQL for the column as TIMESTAMPTZ, NULL where it is not a date Python can hold (year 1 to 9999)."""
    parsed = f"TRY_CAST({column} AS TIMESTAMPTZ)"
    return f"CASE WHEN year({parsed}) BETWEEN 1 AND 9999 THEN {parsed} END"


def _str_list(value) -> list[str]:
    """A list of names (authors, tags) from a list, a single string or nothing; TypeError for anything else."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise TypeError(f"{value!r} is not a list of strings")
    return [str(v) for v in value if v is not None]
