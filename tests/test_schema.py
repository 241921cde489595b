"""The article schema is written once, as the `Article` item: the writer's Arrow schema is derived from it,
and the warehouse's `articles` table (the migrations) must agree with both."""

from __future__ import annotations

from dataclasses import fields

from newsalign.crawler.items import Article
from newsalign.pipeline.writer import ARTICLE_SCHEMA
from newsalign.warehouse import connect

DUCKDB_TYPE = {
    "string": "VARCHAR",
    "int32": "INTEGER",
    "timestamp[us, tz=UTC]": "TIMESTAMP WITH TIME ZONE",
    "list<item: string>": "VARCHAR[]",
}


def test_writer_schema_follows_the_item():
    assert ARTICLE_SCHEMA.names == [f.name for f in fields(Article)] + ["run_id"]


def test_articles_table_matches_the_writer_schema(db_path):
    con = connect(db_path)
    try:
        table = {name: kind for name, kind, *_ in con.execute("DESCRIBE articles").fetchall()}
    finally:
        con.close()
    assert list(table) == ARTICLE_SCHEMA.names + ["stored_at", "superseded_by"]  # set by the warehouse, not the item
    assert {f.name: DUCKDB_TYPE[str(f.type)] for f in ARTICLE_SCHEMA} == {n: table[n] for n in ARTICLE_SCHEMA.names}
