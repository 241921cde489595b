"""Scrapyd daemons on loopback for the plan tests and the benchmark: each in a folder of its own (its
scrapyd.conf, eggs, logs, job queue), on a free port, stopped on exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.loopback import free_port

CONFIG = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = eggs
logs_dir = logs
dbs_dir = dbs
max_proc = {max_proc}
poll_interval = 0.2
"""
DAEMONS: dict[str, subprocess.Popen] = {}  # URL -> the running daemon, for tests that take a node down


@contextmanager
def scrapyd_node(folder: Path, *, env: dict[str, str] | None = None, max_proc: int = 4) -> Iterator[str]:
    """Start `python -m scrapyd` in `folder` (it reads ./scrapyd.conf); yield its URL once it answers."""
    folder.mkdir(parents=True)
    port = free_port()
    (folder / "scrapyd.conf").write_text(CONFIG.format(port=port, max_proc=max_proc))
    with open(folder / "scrapyd.out", "w") as out:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    DAEMONS[url] = daemon
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/daemonstatus.json", timeout=2) as answer:
                    assert json.loads(answer.read())["status"] == "ok"
                break
            except OSError:
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"scrapyd did not start: {(folder / 'scrapyd.out').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        DAEMONS.pop(url, None)
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


@contextmanager
def scrapyd_nodes(root: Path, count: int = 2, **options) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(scrapyd_node(root / f"node{i}", **options)) for i in range(count)]
