"""A real HTTP ingest endpoint on 127.0.0.1 that answers a scripted sequence of replies, for fault injection.

Every request is recorded (headers and gunzipped JSON body) before the reply, so a test can check what
arrived, including requests whose reply was an error, a timeout or a dropped connection.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/platform/ingest/v1/security.events"


@dataclass(frozen=True)
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering (longer than the client's timeout: a timeout)
    drop: bool = False  # close the connection without any response


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    compressed_bytes: int
    events: list[Any]
    reply: Reply


@dataclass
class IngestStub:
    script: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=Reply)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def next_reply(self) -> Reply:
        return self.script.pop(0) if self.script else self.default

    def accepted_events(self) -> list[Any]:
        """Every event of every request that got a 2xx reply, in arrival order."""
        return [
            e for r in self.received if 200 <= r.reply.status < 300 and not r.reply.drop for e in r.events
        ]


def _handler_for(stub: IngestStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            raw = gzip.decompress(body) if self.headers.get("Content-Encoding") == "gzip" else body
            reply = stub.next_reply()
            stub.received.append(Received(self.path, dict(self.headers), len(body), json.loads(raw), reply))
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@contextmanager
def serve(*script: Reply, default: Reply | None = None) -> Iterator[IngestStub]:
    stub = IngestStub(script=list(script), default=default or Reply())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stub))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
