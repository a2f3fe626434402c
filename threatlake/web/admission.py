"""Admission before work, and body hygiene: the outermost ASGI middleware.

Three rules, applied before any handler spends CPU or memory on a request:

- **Admission.** An ingest request (``POST /platform/ingest/...``) is refused with 429 and ``Retry-After``
  *before its body is read* when the ingest requests in flight, the body bytes in flight (by their declared
  ``Content-Length``) or the writer queue are at their bounds. Refusing early keeps goodput steady under
  overload (Elasticsearch's bounded queues do the same): the work a refused request would have cost
  (reading, inflating, parsing, mapping) is never spent.
- **Body deadline.** A body that does not arrive within ``body_timeout`` seconds is answered with 408 and the
  connection is closed, so a client that declares 1,000 bytes and sends 10 holds nothing for long.
- **Readable early errors.** Clients such as ``urllib`` write the whole body before they read the answer; a
  401 or 413 sent while they are still writing, followed by a close, reaches them as "connection reset". So
  before an error response goes out, the rest of the body is read and discarded, up to ``drain_bytes``
  within ``drain_timeout``; past either bound the response goes out with ``Connection: close``.

Header read timeouts and idle connections are the HTTP protocol's business (``web/protocol.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Admission", "AdmissionLimits"]

INGEST_PREFIX = "/platform/ingest/"


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    max_ingest_requests: int
    max_inflight_bytes: int
    body_timeout: float
    drain_bytes: int
    drain_timeout: float = 5.0


class _BodyTimeout(Exception):
    """The body did not arrive in time (raised out of ``receive`` into the handler)."""


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            with contextlib.suppress(ValueError):
                return max(int(value), 0)
    return 0


def _refusal(status: int, message: str, details: dict[str, object], retry_after: int | None) -> Message:
    headers = [(b"content-type", b"application/json")]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    body = orjson.dumps({"error": {"code": status, "message": message, "details": details}})
    headers.append((b"content-length", str(len(body)).encode()))
    return {"type": "http.response.start", "status": status, "headers": headers, "_body": body}


class Admission:
    """The outermost middleware (see the module docstring). ``queue_pressure`` returns the writer's
    ``(waiting batches, capacity)``; ingest is refused once the queue is three quarters full."""

    def __init__(
        self, app: ASGIApp, *, limits: AdmissionLimits, queue_pressure: Callable[[], tuple[int, int]]
    ) -> None:
        self.app = app
        self.limits = limits
        self.queue_pressure = queue_pressure
        self.ingest_requests = 0
        self.inflight_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _Body(receive, self.limits)
        if scope["method"] == "POST" and scope["path"].startswith(INGEST_PREFIX):
            declared = _declared_length(scope)
            refusal = self._admit(declared)
            if refusal is not None:
                await body.answer(send, refusal)
                return
            self.ingest_requests += 1
            self.inflight_bytes += declared
            try:
                await self._serve(scope, body, send)
            finally:
                self.ingest_requests -= 1
                self.inflight_bytes -= declared
            return
        await self._serve(scope, body, send)

    def _admit(self, declared: int) -> Message | None:
        limits = self.limits
        waiting, capacity = self.queue_pressure()
        if self.ingest_requests >= limits.max_ingest_requests:
            reason = (
                f"{self.ingest_requests} ingest requests are in progress (limit {limits.max_ingest_requests})"
            )
        elif self.inflight_bytes and self.inflight_bytes + declared > limits.max_inflight_bytes:
            reason = (
                f"{self.inflight_bytes + declared} body bytes would be in progress "
                f"(limit {limits.max_inflight_bytes})"
            )
        elif capacity and waiting * 4 >= capacity * 3:
            reason = f"the writer queue holds {waiting} of {capacity} batches"
        else:
            return None
        return _refusal(429, f"Too many requests: {reason}; retry later", {"reason": "overloaded"}, 1)

    async def _serve(self, scope: Scope, body: _Body, send: Send) -> None:
        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400 and not body.complete:
                closing = not await body.drain()
                if closing:
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            if message["type"] == "http.response.start":
                body.started_response = True
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except _BodyTimeout:
            if body.started_response:
                raise
            await body.answer(
                send,
                _refusal(
                    408,
                    f"The request body did not arrive within {self.limits.body_timeout:g} seconds",
                    {"received": body.received},
                    None,
                ),
                drain=False,
            )


class _Body:
    """``receive`` with a deadline for the whole body, and what has been read of it."""

    def __init__(self, receive: Receive, limits: AdmissionLimits) -> None:
        self._receive = receive
        self._limits = limits
        self._deadline = time.monotonic() + limits.body_timeout
        self.complete = False
        self.received = 0
        self.started_response = False

    async def receive(self) -> Message:
        if self.complete:
            return await self._receive()
        remaining = self._deadline - time.monotonic()
        try:
            message = await asyncio.wait_for(self._receive(), timeout=max(remaining, 0.001))
        except TimeoutError:
            raise _BodyTimeout from None
        self._note(message)
        return message

    def _note(self, message: Message) -> None:
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
        elif message["type"] == "http.disconnect":
            self.complete = True

    async def drain(self) -> bool:
        """Read and drop the rest of the body within the drain bounds; True when all of it was read."""
        limit = self.received + self._limits.drain_bytes
        deadline = time.monotonic() + self._limits.drain_timeout
        while not self.complete:
            remaining = min(deadline, self._deadline + self._limits.drain_timeout) - time.monotonic()
            if self.received > limit or remaining <= 0:
                return False
            try:
                message = await asyncio.wait_for(self._receive(), timeout=remaining)
            except TimeoutError:
                return False
            self._note(message)
        return True

    async def answer(self, send: Send, start: Message, *, drain: bool = True) -> None:
        """Send a refusal made by ``_refusal``, after draining the body when ``drain``."""
        body = start.pop("_body")
        if not (drain and (self.complete or await self.drain())):
            start["headers"].append((b"connection", b"close"))
        self.started_response = True
        await send(start)
        await send({"type": "http.response.body", "body": body})
