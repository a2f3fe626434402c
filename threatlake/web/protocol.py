"""HTTP/1.1 with a deadline for the request head: slow or silent clients cannot hold connections.

uvicorn's h11 protocol times out idle keep-alive connections, but a connection that sends part of a request
head (or nothing at all) waits forever: a thousand such connections hold a thousand sockets before any
authentication runs. This protocol arms a timer when a connection opens and whenever it waits for its next
request; a request head that is not complete when the timer fires closes the connection (with a 408 when
some of it had arrived). Bodies have their own deadline (``web/admission.py``); the number of connections
is bounded by uvicorn's ``limit_concurrency``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEAD_TIMEOUT_SECONDS", "DeadlineProtocol", "deadline_protocol"]

#: Default seconds a client has to send a complete request head (``THREATLAKE_HEADER_TIMEOUT_SECONDS``).
HEAD_TIMEOUT_SECONDS = 10.0

_TIMEOUT_BODY = b'{"error":{"code":408,"message":"The request head did not arrive in time","details":{}}}'
_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)


class DeadlineProtocol(H11Protocol):
    """``H11Protocol`` whose connections must deliver each request head within ``head_timeout`` seconds."""

    head_timeout: float = HEAD_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is not None:
            self._head_bytes += len(data)
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is complete: the body deadline takes over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._head_bytes:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


def deadline_protocol(head_timeout: float) -> type[DeadlineProtocol]:
    """The protocol class for uvicorn's ``http=`` with this head deadline."""
    return type("DeadlineProtocol", (DeadlineProtocol,), {"head_timeout": head_timeout})
