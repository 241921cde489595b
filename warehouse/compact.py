"""Lake maintenance: move inlined rows to Parquet, merge small files, expire old snapshots, delete the
files no snapshot needs any more. Each step is DuckLake's own (`ducklake_*`), one autocommit call in a
child process, retried when it loses a commit race; readers and writers may go on meanwhile. Merging
keeps time travel: old snapshots read parts of the merged file."""

from __future__ import annotations

import multiprocessing
import signal
from dataclasses import dataclass

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import scrub
from newsalign.warehouse.lake import ALIAS, on_every_core, retry

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


def compact(db: str | None, *, keep_days: int = KEEP_DAYS, attempts: int = 3) -> CompactReport:
    """Run every maintenance step on the lake at `db` (`connect`'s location): snapshots older than `keep_days`
    days expire (the newest is always kept); files replaced more than `GRACE_DAYS` ago are deleted.

    The steps run in a child process. DuckDB once aborted (SIGABRT) inside a DuckLake maintenance call here,
    not reproduced since, and an abort takes down the whole process: a step whose process dies is run again
    in a new one, up to `attempts` times (each step is one transaction, so the one that died changed nothing)."""
    if keep_days < 0:
        raise ValueError(f"keep_days must be >= 0, not {keep_days}")
    results: dict[str, list[tuple]] = {}
    for attempt in range(1, attempts + 1):
        died = _run_steps(db, keep_days, results)
        if died is None:
            break
        if attempt == attempts:
            step = next(step for step in STEPS if step not in results)
            raise NewsalignError(
                f"DuckDB died ({died}) in {step} {attempts} times: the steps before it are done, the lake is as it "
                "was before it; run `newsalign compact` again"
            )
    flushed, merged, expired, deleted = (results[step] for step in STEPS)
    return CompactReport(
        rows_flushed=sum(n for *_, n in flushed),
        files_merged=sum(processed for *_, processed, _ in merged),
        files_created=sum(created for *_, created in merged),
        snapshots_expired=len(expired),
        files_deleted=len(deleted),
    )


# The maintenance steps, in order: DuckLake's function and its arguments beside the lake's name.
STEPS = {
    "ducklake_flush_inlined_data": (),
    "ducklake_merge_adjacent_files": (),
    "ducklake_expire_snapshots": ("older_than => now() - INTERVAL {keep_days} DAY",),
    "ducklake_cleanup_old_files": (f"older_than => now() - INTERVAL {GRACE_DAYS} DAY",),
}


def _run_steps(db: str | None, keep_days: int, results: dict[str, list[tuple]]) -> str | None:
    """Run the steps not in `results` in a new process, adding each one's rows as it ends; None when all
    ended, else how the process died. A step's error (not a death) is raised here."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: a DuckDB must not cross a fork
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_steps_in_child, args=(db, keep_days, list(results), sender), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, step, payload = receiver.recv()
            except EOFError:
                break
            if kind == "error":
                raise NewsalignError(f"{step} failed: {payload}")
            results[step] = payload
    finally:
        receiver.close()
        child.join()
    if child.exitcode and child.exitcode < 0:
        return signal.Signals(-child.exitcode).name
    if len(results) < len(STEPS):  # it exited without reporting every step, nor an error
        return f"exit status {child.exitcode}"
    return None


def _steps_in_child(db: str | None, keep_days: int, done: list[str], sender) -> None:
    """The child's part: each step not `done`, one autocommit call retried when it loses a commit race, its rows
    sent as it ends; an error sent as one scrubbed line. A Ctrl-C (the parent has it too) ends it quietly."""
    from newsalign.warehouse import connect

    step = "opening the lake"
    try:
        with connect(db, must_exist=True) as con, on_every_core(con):  # rewrites the whole lake's small files
            for step, arguments in STEPS.items():
                if step not in done:
                    values = [repr(ALIAS), *(argument.format(keep_days=keep_days) for argument in arguments)]
                    call = f"CALL {step}({', '.join(values)})"
                    sender.send(("done", step, retry(lambda call=call: con.execute(call).fetchall())))
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # noqa: BLE001 - the parent raises it, as one line
        sender.send(("error", step, scrub(f"{type(exc).__name__}: {exc}")))
    finally:
        sender.close()
