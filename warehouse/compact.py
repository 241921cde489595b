"""Lake maintenance: move inlined rows to Parquet, merge small files, expire old snapshots, delete the
files no snapshot needs any more. Each step is DuckLake's own (`ducklake_*`), one autocommit call,
retried when it loses a commit race; readers and writers may go on meanwhile. Merging keeps time
travel: old snapshots read parts of the merged file."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from newsalign.warehouse.lake import ALIAS, retry

# Snapshots this young are kept: `connect(..., snapshot=id)` (an export's recorded snapshot, a reader
# still on an old snapshot) works for this long after the snapshot was taken.
KEEP_DAYS = 30
# A file replaced (merged, or its snapshots expired) is deleted this many days later, not at once: a
# query that began before may still be reading it. (With a SQLite catalog DuckLake compares these times
# as text, so a file may go up to a day early: never sooner than a day.)
GRACE_DAYS = 2


@dataclass(frozen=True)
class CompactReport:
    rows_flushed: int  # inlined rows written to Parquet
    files_merged: int  # small files rewritten ...
    files_created: int  # ... into these
    snapshots_expired: int
    files_deleted: int

    def line(self) -> str:
        return (
            f"{self.rows_flushed} inlined rows flushed to Parquet, {self.files_merged} files merged into "
            f"{self.files_created}, {self.snapshots_expired} snapshots expired, {self.files_deleted} files deleted"
        )


def compact(con: duckdb.DuckDBPyConnection, *, keep_days: int = KEEP_DAYS) -> CompactReport:
    """Run every maintenance step on the lake `con` has attached: snapshots older than `keep_days`
    days expire (the newest is always kept); files replaced more than `GRACE_DAYS` ago are deleted."""
    if keep_days < 0:
        raise ValueError(f"keep_days must be >= 0, not {keep_days}")

    def call(function: str, *args: str) -> list[tuple]:
        return retry(lambda: con.execute(f"CALL {function}({', '.join([repr(ALIAS), *args])})").fetchall())

    flushed = call("ducklake_flush_inlined_data")
    merged = call("ducklake_merge_adjacent_files")
    older_than = f"older_than => now() - INTERVAL {int(keep_days)} DAY"
    expired = call("ducklake_expire_snapshots", older_than)
    deleted = call("ducklake_cleanup_old_files", f"older_than => now() - INTERVAL {GRACE_DAYS} DAY")
    return CompactReport(
        rows_flushed=sum(n for *_, n in flushed),
        files_merged=sum(processed for *_, processed, _ in merged),
        files_created=sum(created for *_, created in merged),
        snapshots_expired=len(expired),
        files_deleted=len(deleted),
    )
