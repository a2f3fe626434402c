"""A real HTTP ingest endpoint on 127.0.0.1 that misbehaves on command, for fault injection.

It answers a scripted sequence of replies (then ``default``). A 202 without a scripted body answers as
Threatlake does (docs/api.md): every finding is checked by ``reject`` (a reason, or None to store it), the
stored ones are kept once each (re-sending is idempotent), and the body lists the rejected ones with their
location and index, at most ``max_errors`` of them. ``refuse`` may turn down a whole request (400 or 413) by
what it holds. A reply may come before the body is read (``early``: the server then closes the connection
with the body unread, as a server refusing a large request does), after a delay, or not at all (``drop``).

Every request is recorded (headers, and the gunzipped JSON body when it was read) before the reply.
"""

from __future__ import annotations

import gzip
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/platform/ingest/v1/security.events"


@dataclass(frozen=True)
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # None: a 202 gets the Threatlake receipt, anything else no body
    delay: float = 0.0  # seconds to wait before answering (longer than the client's timeout: a timeout)
    drop: bool = False  # close the connection without any response
    early: bool = False  # answer before reading the body, then close with the body unread


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    compressed_bytes: int
    events: list[Any] | None  # None: the body was never read (an early reply)
    reply: Reply
    status: int = 0


def findings(event: Any) -> list[tuple[str, Any]]:
    """(location inside the event, finding) for every finding in one event, as the endpoint sees them."""
    if isinstance(event, dict) and isinstance(event.get("detail"), dict):
        inner = event["detail"].get("findings")
        if isinstance(inner, list):
            return [(f".detail.findings[{i}]", finding) for i, finding in enumerate(inner)]
        return [(".detail", event["detail"])]
    return [("", event)]


def key(finding: Any) -> str:
    return json.dumps(finding, sort_keys=True)


@dataclass
class IngestStub:
    script: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=Reply)
    reject: Callable[[Any], str | None] = lambda finding: None
    refuse: Callable[[list[Any]], tuple[int, str] | None] = lambda events: None
    max_errors: int = 100
    received: list[Received] = field(default_factory=list)
    stored: dict[str, Any] = field(default_factory=dict)  # every finding stored, once, by its JSON
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self) -> Reply:
        return self.script.pop(0) if self.script else self.default

    def accepted_events(self) -> list[Any]:
        """Every event of every request that got a 2xx reply, in arrival order."""
        return [e for r in self.received if 200 <= r.status < 300 and r.events is not None for e in r.events]

    def answer(self, reply: Reply, events: list[Any]) -> tuple[int, bytes]:
        if reply.body is not None or reply.status != 202:
            return reply.status, reply.body or b""
        refused = self.refuse(events)
        if refused:
            status, message = refused
            return status, json.dumps({"error": {"code": status, "message": message}}).encode()
        errors, accepted, stored = [], 0, 0
        for index, event in enumerate(events):
            for where, finding in findings(event):
                reason = self.reject(finding)
                if reason is None:
                    accepted += 1
                    stored += key(finding) not in self.stored
                    self.stored.setdefault(key(finding), finding)
                else:
                    errors.append({"location": f"[{index}]{where}", "index": index, "message": reason})
        body = {"accepted": accepted, "rejected": len(errors), "events": accepted, "dropped": 0}
        body |= {"stored": stored, "duplicates": accepted - stored, "errors": errors[: self.max_errors]}
        return 202, json.dumps(body).encode()


def _handler_for(stub: IngestStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            reply = stub.next_reply()
            length = int(self.headers.get("Content-Length", "0"))
            record = Received(self.path, dict(self.headers), length, None, reply)
            if reply.early:
                with stub.lock:
                    stub.received.append(record)
                self.close_connection = True
                self._answer(reply, reply.status, reply.body or b"")
                return
            body = self.rfile.read(length)
            raw = gzip.decompress(body) if self.headers.get("Content-Encoding") == "gzip" else body
            record.events = json.loads(raw)
            with stub.lock:
                stub.received.append(record)
                status, text = stub.answer(reply, record.events)
            record.status = status
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                record.status = 0
                self.close_connection = True
                return
            self._answer(reply, status, text)

        def _answer(self, reply: Reply, status: int, text: bytes) -> None:
            self.send_response(status)
            headers = {"Content-Type": "application/json"} if text.startswith(b"{") else {}
            for name, value in {**headers, **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            try:
                self.end_headers()
                self.wfile.write(text)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up first (a timeout test)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@contextmanager
def serve(
    *script: Reply,
    default: Reply | None = None,
    reject: Callable[[Any], str | None] | None = None,
    refuse: Callable[[list[Any]], tuple[int, str] | None] | None = None,
    max_errors: int = 100,
    tls: ssl.SSLContext | None = None,
) -> Iterator[IngestStub]:
    stub = IngestStub(script=list(script), default=default or Reply(), max_errors=max_errors)
    if reject:
        stub.reject = reject
    if refuse:
        stub.refuse = refuse
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stub))
    server.daemon_threads = True
    server.block_on_close = False
    if tls is not None:  # HTTPS, as the Lambda talks to the endpoint
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    stub.url = f"{scheme}://127.0.0.1:{server.server_address[1]}{PATH}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
