"""`newsalign crawl plan`: a backfill as Scrapyd jobs, one per (source, month), at most one per source at once.

The planner is the only scheduler. Scrapyd runs the jobs; each writes into the shared lake and, when it
crawls its window to the end, records it (`ledger.WindowDone`). The planner deploys the project egg to
every node, then polls `listjobs.json` on each: a source with a pending or running job anywhere in the
cluster gets no other, so each site sees the politeness of one crawl whatever the number of nodes. A
job that ends without its window recorded (killed, crashed) or is lost with its node is queued again,
up to `attempts` tries. Windows already recorded are skipped, so a re-run of the same plan resumes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from newsalign import warehouse
from newsalign.core.errors import NewsalignError
from newsalign.core.hosts import is_loopback
from newsalign.jobs.plan.ledger import WINDOW_SETTING, Window, done_windows, release_lease, renew_lease, take_lease
from newsalign.jobs.plan.scrapyd import Node, NodeError, build_egg

EXTENSION = "newsalign.jobs.plan.ledger.WindowDone"
LOST_AFTER = 3  # polls a node may miss before its jobs count as lost
RENEW_EVERY = 10.0  # seconds between lease heartbeats


@dataclass
class Job:
    window: Window
    node: Node
    id: str
    attempt: int
    started: float = field(default_factory=time.monotonic)
    state: str = "pending"
    misses: int = 0


@dataclass
class Outcome:
    done: list[Window] = field(default_factory=list)
    skipped: list[Window] = field(default_factory=list)
    failed: list[Window] = field(default_factory=list)
    stored: int = 0


def check_lake_reachable(db: str | None, nodes: list[Node]) -> None:
    """Refuse, before anything starts, a lake the nodes cannot reach: a folder on this machine, or a
    PostgreSQL catalog on loopback, given nodes on other machines."""
    lake = warehouse.resolve_lake(db)
    remote = [n.url for n in nodes if not is_loopback(urlsplit(n.url).hostname or "")]
    if not remote:
        return
    if lake.folder is not None:
        raise NewsalignError(
            f"the lake {lake.folder} is a folder on this machine, which node(s) {', '.join(remote)} cannot reach: "
            "use --db postgres:<connection> with $NEWSALIGN_DATA_PATH on storage every node mounts"
        )
    params = dict(p.split("=", 1) for p in lake.catalog.removeprefix("ducklake:postgres:").split() if "=" in p)
    host = params.get("host") or params.get("hostaddr") or "localhost (a Unix socket)"
    if not params.get("host") and not params.get("hostaddr") or is_loopback(host):
        raise NewsalignError(
            f"the catalog's host is {host}, which node(s) {', '.join(remote)} cannot reach: "
            "give --db postgres:... a host=<name> the nodes resolve"
        )


class Planner:
    """Run `windows` on `nodes` into the lake `db`; `say` gets one line per state change."""

    def __init__(
        self,
        windows: list[Window],
        nodes: list[Node],
        db: str,
        *,
        settings: dict[str, str],
        spider_args: dict[str, dict[str, str]],
        crawler_extensions: dict[str, int],
        attempts: int = 3,
        poll: float = 1.0,
        say: Callable[[str], None] = print,
    ):
        self.windows, self.nodes, self.db = windows, nodes, db
        self.settings, self.spider_args = settings, spider_args
        self.extensions = json.dumps({**crawler_extensions, EXTENSION: 900})
        self.attempts, self.poll, self.say = attempts, poll, say
        self.active: dict[str, Job] = {}
        self.tries: dict[Window, int] = {}
        self.down: set[str] = set()

    def run(self) -> Outcome:
        check_lake_reachable(self.db, self.nodes)
        with warehouse.connect(self.db) as con:
            plan_id = take_lease(con)
            try:
                return self._run(con, plan_id)
            finally:
                release_lease(con, plan_id)

    def _run(self, con, plan_id: str) -> Outcome:
        for node in self.nodes:  # every node answers before anything is deployed
            node.status()
        version = str(int(time.time()))
        egg = build_egg()
        for node in self.nodes:
            node.deploy(egg, version)
        self.say(f"deployed {version} to {len(self.nodes)} node(s)")
        outcome = Outcome()
        done = done_windows(con)
        outcome.skipped = [w for w in self.windows if w in done]
        todo = [w for w in self.windows if w not in done]
        self.say(f"{len(self.windows)} windows: {len(outcome.skipped)} already done, {len(todo)} to crawl")
        renewed = time.monotonic()
        while todo or self.active:
            listings = self._listings()
            self._settle(con, listings, todo, outcome)
            busy = {
                job["spider"] for jobs in listings.values() if jobs for s in ("pending", "running") for job in jobs[s]
            }
            for window in list(todo):
                if window.source not in busy and window.source not in self.active:
                    self._start(window, listings)
                    todo.remove(window)
                    busy.add(window.source)
            if time.monotonic() - renewed > RENEW_EVERY:
                renew_lease(con, plan_id)
                renewed = time.monotonic()
            time.sleep(self.poll)
        return outcome

    def _listings(self) -> dict[str, dict | None]:
        """Each node's jobs, or None when it does not answer (said once, until it answers again)."""
        listings = {}
        for node in self.nodes:
            try:
                listings[node.url] = node.jobs()
                if node.url in self.down:
                    self.down.discard(node.url)
                    self.say(f"node {node.url} answers again")
            except NodeError as exc:
                listings[node.url] = None
                if node.url not in self.down:
                    self.down.add(node.url)
                    self.say(str(exc))
        return listings

    def _settle(self, con, listings: dict[str, dict | None], todo: list[Window], outcome: Outcome) -> None:
        """Follow each active job; a job no longer pending or running is done, or queued again."""
        ended = []
        for source, job in self.active.items():
            jobs = listings[job.node.url]
            if jobs is None:
                job.misses += 1
                if job.misses >= LOST_AFTER:
                    ended.append((source, "lost with its node"))
                continue
            state = next((s for s in jobs if any(j["id"] == job.id for j in jobs[s])), None)
            if state is None:  # in no list: the node restarted (Scrapyd keeps finished jobs in memory)
                job.misses += 1
                if job.misses >= LOST_AFTER:
                    ended.append((source, "lost by its node"))
            elif state == "finished":
                ended.append((source, "ended"))
            elif state != job.state:
                job.state = state
                self.say(f"{job.window.label}: {state} on {job.node.url} (job {job.id})")
        if not ended:
            return
        recorded = dict(
            ((s, a, b), (j, r))
            for s, a, b, j, r in con.execute("SELECT source, since, until, job, run_id FROM crawl_windows").fetchall()
        )
        for source, how in ended:
            job = self.active.pop(source)
            window, seconds = job.window, time.monotonic() - job.started
            key = (window.source, window.since, window.until)
            if key in recorded:
                stored = con.execute(
                    "SELECT count(*) FROM articles WHERE run_id = ? AND superseded_by IS NULL", [recorded[key][1]]
                ).fetchone()[0]
                outcome.done.append(window)
                outcome.stored += stored
                self.say(
                    f"{window.label}: done, {stored} articles stored ({seconds:.0f} s, try {job.attempt}); "
                    f"{self._progress(outcome, todo)}"
                )
            elif job.attempt < self.attempts:
                todo.insert(0, window)
                self.say(f"{window.label}: {how} without finishing its window; queued again (try {job.attempt + 1})")
            else:
                outcome.failed.append(window)
                self.say(
                    f"{window.label}: FAILED, {how} without finishing its window {job.attempt} times; "
                    f"{self._progress(outcome, todo)}"
                )

    def _progress(self, outcome: Outcome, todo: list[Window]) -> str:
        """Where the plan stands: windows done (this run and before), running, waiting, failed."""
        done = len(outcome.done) + len(outcome.skipped)
        return (
            f"{done} of {len(self.windows)} windows done, {len(self.active)} running, {len(todo)} waiting, "
            f"{len(outcome.failed)} failed, {outcome.stored} articles stored"
        )

    def _start(self, window: Window, listings: dict[str, dict | None]) -> None:
        """Schedule `window` on the answering node with the fewest jobs of this plan."""
        attempt = self.tries[window] = self.tries.get(window, 0) + 1
        up = [n for n in self.nodes if listings.get(n.url) is not None]
        load = {n.url: sum(j.node.url == n.url for j in self.active.values()) for n in up}
        for node in sorted(up, key=lambda n: load[n.url]):
            job = f"{window.source}_{window.since:%Y%m%d}_{uuid.uuid4().hex[:8]}"
            settings = {
                **self.settings,
                "NEWSALIGN_DB": self.db,
                WINDOW_SETTING: f"{window.since}/{window.until}",
                "EXTENSIONS": self.extensions,
            }
            args = {"since": str(window.since), "until": str(window.until), **self.spider_args.get(window.source, {})}
            try:
                node.schedule(window.source, job, args=args, settings=settings)
            except NodeError as exc:
                self.say(str(exc))
                continue
            self.active[window.source] = Job(window, node, job, attempt)
            self.say(f"{window.label}: scheduled on {node.url} (job {job}, try {attempt})")
            return
        raise NewsalignError(f"no node accepts jobs ({', '.join(n.url for n in self.nodes)}); the plan stops here")
