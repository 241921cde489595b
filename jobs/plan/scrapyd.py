"""A Scrapyd node as the planner sees it: its HTTP JSON API (standard library only), and the project egg.

Scrapyd 1.6's endpoints: `daemonstatus.json`, `addversion.json` (project, version, egg), `schedule.json`
(project, spider, jobid, `setting=NAME=VALUE` repeated; other fields become spider arguments),
and `listjobs.json` (pending, running with pid, finished). Every answer is JSON with
`"status": "ok"` or `"error"` and a message.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass

from newsalign.core.errors import NewsalignError

PROJECT = "newsalign"


class NodeError(NewsalignError):
    """A node did not answer, or answered with an error."""


def build_egg() -> bytes:
    """The project egg Scrapyd stores and activates for each job: metadata only.

    Scrapyd's runner activates the egg with pkg_resources and reads its `scrapy` entry point `settings`
    (SCRAPY_SETTINGS_MODULE); the code itself is the newsalign installed on the node (its pipelines need
    all of newsalign's dependencies, which an egg cannot carry). So the egg is two metadata files, written
    with zipfile: setuptools' bdist_egg is deprecated and would pack the whole source tree for nothing."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as egg:
        egg.writestr("EGG-INFO/PKG-INFO", f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: 1.0\n")
        egg.writestr("EGG-INFO/entry_points.txt", "[scrapy]\nsettings = newsalign.crawler.settings\n")
    return out.getvalue()


@dataclass(frozen=True)
class Node:
    """One Scrapyd daemon, by its base URL (`http://n1:6800`)."""

    url: str
    timeout: float = 30.0

    def call(self, endpoint: str, fields: list[tuple[str, str | bytes]] | None = None, *, post: bool = False) -> dict:
        """GET (or POST, multipart) `endpoint`; the JSON answer, or NodeError naming the node."""
        target = f"{self.url.rstrip('/')}/{endpoint}"
        data, headers = None, {}
        if post:
            data, content_type = _multipart(fields or [])
            headers["Content-Type"] = content_type
        elif fields:
            target += "?" + urllib.parse.urlencode(fields)
        request = urllib.request.Request(target, data=data, headers=headers, method="POST" if post else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http URLs we were given)
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise NodeError(f"node {self.url}: {endpoint} answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NodeError(f"node {self.url} is unreachable ({reason})") from None
        except json.JSONDecodeError:
            raise NodeError(f"node {self.url}: {endpoint} did not answer JSON (is it Scrapyd?)") from None
        if answer.get("status") != "ok":
            message = str(answer.get("message", answer)).strip().splitlines()
            raise NodeError(f"node {self.url}: {endpoint} refused: {message[-1] if message else answer}")
        return answer

    def status(self) -> dict:
        return self.call("daemonstatus.json")

    def deploy(self, egg: bytes, version: str) -> int:
        """Upload the egg as `version`; the number of spiders the node found in it."""
        fields = [("project", PROJECT), ("version", version), ("egg", egg)]
        return int(self.call("addversion.json", fields, post=True)["spiders"])

    def schedule(self, spider: str, job: str, *, args: dict[str, str], settings: dict[str, str]) -> None:
        fields = [("project", PROJECT), ("spider", spider), ("jobid", job), *args.items()]
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        self.call("schedule.json", fields, post=True)

    def jobs(self) -> dict[str, list[dict]]:
        """{"pending": [...], "running": [...], "finished": [...]} of the project (empty before a deploy)."""
        try:
            answer = self.call("listjobs.json", [("project", PROJECT)])
        except NodeError as exc:
            if "not found" in str(exc):
                return {"pending": [], "running": [], "finished": []}
            raise
        return {state: answer.get(state, []) for state in ("pending", "running", "finished")}


def _multipart(fields: list[tuple[str, str | bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body (the egg is a file field) and its Content-Type."""
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields:
        body.write(f"--{boundary}\r\n".encode())
        if isinstance(value, bytes):
            body.write(f'Content-Disposition: form-data; name="{name}"; filename="{name}.egg"\r\n'.encode())
            body.write(b"Content-Type: application/octet-stream\r\n\r\n" + value + b"\r\n")
        else:
            body.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"
