"""Real HTTP servers on loopback standing in for Jira, Slack, Teams and a signed-webhook receiver.

Each records what it received (method, path, headers, JSON body) and can be told to fail the next requests
with given status codes, so tests see retries and failed executions against a real socket.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, Any]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class StandIn:
    """Routes ``(method, path regex) → handler(match, request) → (status, body)``; records requests."""

    routes: list[tuple[str, re.Pattern[str], Callable[[re.Match[str], Received], Reply]]] = field(
        default_factory=list
    )
    received: list[Received] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    url: str = ""

    def route(self, method: str, pattern: str, handler: Callable[[re.Match[str], Received], Reply]) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def handle(self, request: Received) -> Reply:
        self.received.append(request)
        if self.fail_next:
            return self.fail_next.pop(0), {"error": "injected failure"}
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path.split("?")[0])
            if method == request.method and match:
                return handler(match, request)
        return 404, {"error": f"no route for {request.method} {request.path}"}

    def requests(self, method: str, pattern: str) -> list[Received]:
        return [
            r for r in self.received if r.method == method and re.fullmatch(pattern, r.path.split("?")[0])
        ]


@contextmanager
def serve(stand_in: StandIn) -> Iterator[StandIn]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(self.command, self.path, dict(self.headers), self.rfile.read(length))
            status, body = stand_in.handle(request)
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def jira() -> StandIn:
    """Jira REST v2 and v3: issues, comments, transitions, search."""
    stand_in = StandIn()
    numbers = itertools.count(1)
    issues: dict[str, dict[str, Any]] = {}

    def create(match: re.Match[str], request: Received) -> Reply:
        fields = (request.json or {}).get("fields") or {}
        if not fields.get("summary") or not fields.get("project"):
            return 400, {"errors": {"summary": "required"}}
        number = next(numbers)
        key = f"{fields['project'].get('key', 'X')}-{number}"
        issues[key] = {"id": str(10000 + number), "key": key, "fields": fields, "status": "To Do"}
        return 201, {"id": str(10000 + number), "key": key, "self": f"{stand_in.url}/rest/api/2/issue/{key}"}

    def comment(match: re.Match[str], request: Received) -> Reply:
        if match.group(2) not in issues:
            return 404, {"errorMessages": ["Issue does not exist"]}
        return 201, {"id": str(next(numbers))}

    def transitions(match: re.Match[str], request: Received) -> Reply:
        return 200, {"transitions": [{"id": "21", "name": "In Progress"}, {"id": "31", "name": "Done"}]}

    def transition(match: re.Match[str], request: Received) -> Reply:
        issues[match.group(2)]["status"] = (request.json or {})["transition"]["id"]
        return 204, ""

    def search(match: re.Match[str], request: Received) -> Reply:
        found = [{"id": i["id"], "key": i["key"]} for i in issues.values()]
        return 200, {"issues": found, "total": len(found)}

    stand_in.route("POST", r"/rest/api/(2|3)/issue", create)
    stand_in.route("POST", r"/rest/api/(2|3)/issue/([A-Z]+-\d+)/comment", comment)
    stand_in.route("GET", r"/rest/api/(2|3)/issue/([A-Z]+-\d+)/transitions", transitions)
    stand_in.route("POST", r"/rest/api/(2|3)/issue/([A-Z]+-\d+)/transitions", transition)
    stand_in.route("GET", r"/rest/api/(2|3)/search(/jql)?", search)
    return stand_in


def slack(token: str = "xoxb-test") -> StandIn:
    """A Slack incoming webhook (``/services/...``) and ``chat.postMessage`` checking the bot token."""
    stand_in = StandIn()
    stamps = itertools.count(1)

    def webhook(match: re.Match[str], request: Received) -> Reply:
        return (200, "ok") if (request.json or {}).get("text") else (400, "no_text")

    def post(match: re.Match[str], request: Received) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return 200, {"ok": False, "error": "invalid_auth"}
        body = request.json or {}
        if not body.get("channel"):
            return 200, {"ok": False, "error": "channel_not_found"}
        return 200, {"ok": True, "channel": body["channel"], "ts": f"1700000000.{next(stamps):06d}"}

    stand_in.route("POST", r"/services/.+", webhook)
    stand_in.route("POST", r"/api/chat\.postMessage", post)
    return stand_in


def teams() -> StandIn:
    """A Teams / Power Automate webhook: accepts a message with one Adaptive Card attachment."""
    stand_in = StandIn()

    def webhook(match: re.Match[str], request: Received) -> Reply:
        body = request.json or {}
        attachments = body.get("attachments") or []
        if body.get("type") != "message" or not attachments:
            return 400, {"error": "not a message"}
        return 202, ""

    stand_in.route("POST", r"/webhook/.+", webhook)
    return stand_in


def signed_receiver(secret: str) -> StandIn:
    """A webhook that answers 401 unless ``X-Threatlake-Signature`` is the HMAC-SHA256 of the body."""
    stand_in = StandIn()

    def hook(match: re.Match[str], request: Received) -> Reply:
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Threatlake-Signature", "")
        if not hmac.compare_digest(expected, given):
            return 401, {"error": "bad signature"}
        return 200, {"received": True}

    stand_in.route("POST", r"/hook", hook)
    return stand_in
