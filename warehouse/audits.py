"""Data tests: `sql/tests/<model>__<test>.sql`, each an audit query that must return zero rows
(dbt's singular tests): keys unique and not null, accepted values, facts the pipelines promise."""

from __future__ import annotations

from pathlib import Path

import duckdb

from newsalign.warehouse.db import VIEWS_DIR

AUDITS_DIR = VIEWS_DIR / "tests"


def audit_files() -> list[Path]:
    return sorted(AUDITS_DIR.glob("*.sql"))


def run_audits(con: duckdb.DuckDBPyConnection, *, limit: int = 10) -> dict[str, list[tuple]]:
    """Run every audit; returns {audit name: up to `limit` rows that broke it} for the failing ones."""
    failures = {}
    for file in audit_files():
        query = file.read_text().rstrip().rstrip(";")
        rows = con.execute(f"SELECT * FROM (\n{query}\n) LIMIT {limit}").fetchall()
        if rows:
            failures[file.stem] = rows
    return failures
