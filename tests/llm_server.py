"""A loopback OpenAI-compatible server for tests and benchmarks: chat completions, files and batches,
with faults programmable per test. The real SDK talks to it over real HTTP.

Behaviours, for the next chat requests in order (`server.faults.append(...)`) or for every request
whose prompt contains a marker (`server.rules["[refuse]"] = "refusal"`):
    "ok" | "truncated" | "malformed" | "refusal" | "empty_topics" | "non_english"
    ("status", 429, {"Retry-After": "1"})    an HTTP error with headers
    ("sleep", 2.0)                           answer after a delay (client timeouts)
    "hang"                                   block until `server.release.set()` (a killed client)
    "invalid_json"                           a 200 whose body is not JSON
    "html"                                   a 200 whose body is an HTML page (a proxy's or a portal's)

Also: `echo_key = True` echoes the caller's API key (whole, and masked as OpenAI's 401 does) in
every error body, in a response header and in batch error files; `rpm = N` enforces N requests per
minute as OpenAI does (a bucket of one second's worth, refilled continuously), answering 429 with
Retry-After and sending x-ratelimit-* headers; `fail_batch_creates = N` creates the next N batches
but answers 500 (a client that dies before recording the id).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import re
import socket
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler

from tests.loopback import serving

GENERAL_TOPICS = ["product launch", "company news", "technology industry", "business strategy", "innovation",
                  "investment", "financial markets", "economy", "world news"]  # fmt: skip


class FakeOpenAI:
    def __init__(self, *, latency: float = 0.0, batch_polls: int = 1, batch_final_status: str = "completed"):
        self.latency = latency  # seconds added to every chat completion
        self.batch_polls = batch_polls  # retrieves that see in_progress before a batch completes
        self.batch_final_status = batch_final_status
        self.faults: deque = deque()
        self.rules: dict[str, object] = {}
        self.requests: Counter = Counter()  # "POST /v1/chat/completions" -> count
        self.answered = 0  # chat completions answered 200 (the paid ones)
        self.chat_log: list[tuple[float, int]] = []  # (time.monotonic(), HTTP status) per chat request
        self.auth_headers: list[str] = []
        self.chat_bodies: list[dict] = []
        self.release = threading.Event()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.echo_key = False
        self.key = ""  # the last bearer token seen
        self.rpm: float | None = None
        self._bucket: tuple[float, float] = (0.0, 0.0)  # (tokens, at)
        self.fail_batch_creates = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._serving = serving(_handler(self))
        self._base = ""

    @property
    def url(self) -> str:
        return f"{self._base}/v1"

    @property
    def chat_requests(self) -> int:
        return self.requests["POST /v1/chat/completions"]

    def __enter__(self) -> FakeOpenAI:
        self._base = self._serving.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._serving.__exit__(None, None, None)

    # --- answers -------------------------------------------------------------------------------
    def behaviour_for(self, body: dict) -> object:
        with self._lock:
            if self.faults:
                return self.faults.popleft()
        prompt = " ".join(m["content"] for m in body.get("messages", []))
        return next((b for marker, b in self.rules.items() if marker in prompt), "ok")

    def echoed(self) -> tuple[str, dict]:
        """What an indiscreet server says about the key: a message and a header."""
        if not self.echo_key:
            return "", {}
        masked = f"{self.key[:8]}{'*' * 20}{self.key[-4:]}"
        return f" Incorrect API key provided: {masked} (you sent {self.key})", {"x-echo-authorization": self.key}

    def rate_limit(self) -> tuple[int | None, dict]:
        """(429 or None, x-ratelimit headers) for one request under `rpm`."""
        if self.rpm is None:
            return None, {}
        capacity, rate = max(1.0, self.rpm / 60), self.rpm / 60
        with self._lock:
            tokens, at = self._bucket
            now = time.monotonic()
            tokens = min(capacity, tokens + (now - at) * rate) if at else capacity
            allowed = tokens >= 1
            tokens -= allowed
            self._bucket = (tokens, now)
        reset = (capacity - tokens) / rate
        headers = {"x-ratelimit-limit-requests": str(int(self.rpm)), "x-ratelimit-remaining-requests": str(int(tokens)),
                   "x-ratelimit-reset-requests": f"{reset:.3f}s"}  # fmt: skip
        if allowed:
            return None, headers
        return 429, {**headers, "Retry-After": f"{(1 - tokens) / rate:.3f}"}

    def chat(self, body: dict, behaviour: object) -> tuple[int, dict, dict]:
        """(status, headers, json body) for one chat completion request."""
        said, echo_headers = self.echoed()
        if isinstance(behaviour, tuple) and behaviour[0] == "status":
            _, code, headers = behaviour
            return (
                code,
                {**headers, **echo_headers},
                {"error": {"message": f"simulated {code}.{said}", "type": "test", "code": None}},
            )
        if isinstance(behaviour, tuple) and behaviour[0] == "sleep":
            time.sleep(behaviour[1])
        if behaviour == "hang":
            self.release.wait()
        user = body["messages"][-1]["content"]
        title = re.search(r"^Title: (.*)$", user, re.M).group(1)
        answer = {
            "topics": [title] + GENERAL_TOPICS,
            "signal": int(hashlib.sha256(title.encode()).hexdigest(), 16) % 3 == 0,
            "rationale": f"The article reports {title.lower()}.",
        }
        content, refusal, finish = json.dumps(answer), None, "stop"
        if behaviour == "truncated":
            content, finish = content[: len(content) // 2], "length"
        elif behaviour == "malformed":
            content = content.replace('"signal"', "signal")
        elif behaviour == "refusal":
            content, refusal = None, "I'm sorry, I can't help with that."
        elif behaviour == "empty_topics":
            content = json.dumps({**answer, "topics": []})
        elif behaviour == "non_english":
            content = json.dumps({**answer, "topics": ["人工知能", "半導体", "テクノロジー"] + ["経済"] * 7})
        if behaviour == "invalid_json":
            return 200, echo_headers, None
        if behaviour == "html":
            return 200, echo_headers, b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"
        prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
        completion_tokens = len(content or refusal) // 4
        return 200, echo_headers, {
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }  # fmt: skip

    # --- files and batches ---------------------------------------------------------------------
    def new_file(self, data: bytes, purpose: str, filename: str) -> dict:
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = data
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": filename, "purpose": purpose, "status": "processed"}  # fmt: skip

    def new_batch(self, body: dict) -> dict:
        batch = {"id": f"batch_{next(self._ids)}", "object": "batch", "endpoint": body["endpoint"],
                 "input_file_id": body["input_file_id"], "completion_window": body["completion_window"],
                 "status": "validating", "created_at": int(time.time()), "metadata": body.get("metadata"),
                 "output_file_id": None, "error_file_id": None}  # fmt: skip
        batch["_polls_left"] = self.batch_polls
        self.batches[batch["id"]] = batch
        return batch

    def poll_batch(self, batch: dict) -> dict:
        if batch["status"] in ("validating", "in_progress"):
            if batch["_polls_left"] > 0:
                batch["_polls_left"] -= 1
                batch["status"] = "in_progress"
            else:
                self._finish_batch(batch)
        return batch

    def _finish_batch(self, batch: dict) -> None:
        lines = [json.loads(line) for line in self.files[batch["input_file_id"]].splitlines() if line.strip()]
        if self.batch_final_status == "expired":
            lines = lines[: len(lines) // 2]  # the rest never ran
        output, errors = [], []
        for line in lines:
            status, _, body = self.chat(line["body"], self.behaviour_for(line["body"]))
            self.answered += status == 200
            record = {"id": f"batch_req_{next(self._ids)}", "custom_id": line["custom_id"],
                      "response": {"status_code": status, "request_id": "req", "body": body}, "error": None}  # fmt: skip
            if status != 200 and self.echo_key:
                record["error"] = {"code": "echo", "message": self.echoed()[0], "headers": self.echoed()[1]}
            (output if status == 200 else errors).append(json.dumps(record))
        if output:
            batch["output_file_id"] = self.new_file(("\n".join(output) + "\n").encode(), "batch_output", "out.jsonl")[
                "id"
            ]
        if errors:
            batch["error_file_id"] = self.new_file(("\n".join(errors) + "\n").encode(), "batch_output", "err.jsonl")[
                "id"
            ]
        batch["status"] = self.batch_final_status


def _handler(fake: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK adds ~40 ms a call.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _send(
            self, status: int, body: object, headers: dict | None = None, raw: bytes | None = None, kind: str = ""
        ) -> None:
            data = raw if raw is not None else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header(
                    "Content-Type", kind or ("application/json" if raw is None else "application/octet-stream")
                )
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
                pass

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            with fake._lock:
                fake.requests[f"POST {path}"] += 1
                fake.auth_headers.append(self.headers.get("Authorization", ""))
                fake.key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            raw = self._body()
            if path == "/v1/chat/completions":
                body = json.loads(raw)
                fake.chat_bodies.append(body)
                limited, limit_headers = fake.rate_limit()
                if limited:
                    with fake._lock:
                        fake.chat_log.append((time.monotonic(), limited))
                    return self._send(
                        limited, {"error": {"message": "rate limited", "type": "requests"}}, limit_headers
                    )
                if fake.latency:
                    time.sleep(fake.latency)
                status, headers, answer = fake.chat(body, fake.behaviour_for(body))
                with fake._lock:
                    fake.chat_log.append((time.monotonic(), status))
                    fake.answered += status == 200
                if isinstance(answer, bytes):
                    return self._send(status, None, headers, raw=answer, kind="text/html; charset=utf-8")
                if answer is None:
                    return self._send(
                        status, None, headers, raw=b'{"id": "chatcmpl-x", "choices": [ oops', kind="application/json"
                    )
                self._send(status, answer, {**limit_headers, **headers})
            elif path == "/v1/files":
                fields = _multipart(self.headers["Content-Type"], raw)
                self._send(200, fake.new_file(fields["file"][1], fields["purpose"][1].decode(), fields["file"][0]))
            elif path == "/v1/batches":
                batch = fake.new_batch(json.loads(raw))
                if fake.fail_batch_creates:
                    fake.fail_batch_creates -= 1
                    return self._send(500, {"error": {"message": "created, but the answer was lost"}})
                self._send(200, _public(batch))
            else:
                self._send(404, {"error": {"message": f"no route {path}"}})

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            with fake._lock:
                fake.requests[f"GET {path}"] += 1
            if path == "/v1/batches":  # newest first, one page
                data = [_public(b) for b in reversed(fake.batches.values())]
                return self._send(200, {"object": "list", "data": data, "has_more": False,
                                        "first_id": data[0]["id"] if data else None,
                                        "last_id": data[-1]["id"] if data else None})  # fmt: skip
            if match := re.fullmatch(r"/v1/batches/([\w-]+)", path):
                batch = fake.batches.get(match.group(1))
                if batch is None:
                    return self._send(404, {"error": {"message": "no such batch"}})
                return self._send(200, _public(fake.poll_batch(batch)))
            if match := re.fullmatch(r"/v1/files/([\w-]+)/content", path):
                return self._send(200, None, raw=fake.files[match.group(1)])
            self._send(404, {"error": {"message": f"no route {path}"}})

    return Handler


def _public(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes). Hand-written because the stdlib's `cgi` is gone; email parses MIME."""
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    return {
        part.get_param("name", header="content-disposition"): (part.get_filename(), part.get_payload(decode=True))
        for part in message.iter_parts()
    }
