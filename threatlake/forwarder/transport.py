"""One HTTP POST with the standard library that reads the server's answer even when it comes early.

urllib writes the whole body before it looks for a response. A server that refuses a request before reading
its body (401 for a revoked token, 413 for a body over its limit) and closes the connection makes that write
fail with "Broken pipe" or "Connection reset", and its answer is lost: the forwarder would retry a dead token
instead of reading the rotated one. Here the body goes out in pieces; between pieces the socket is checked
for an early answer (application data, so a TLS session ticket does not count), and a write the server cut
off is followed by reading whatever answer it sent (what urllib3 2 does). No redirect is followed: a
redirected POST would carry the token elsewhere. Proxies (``HTTPS_PROXY``) are not used.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Response", "TransportError", "post"]

_PIECE = 64 * 1024


@dataclass(frozen=True)
class Response:
    """The server's answer: status, headers (lower-case names), up to ``max_body`` bytes of body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    early: bool  # the server answered before the whole body was sent


class TransportError(Exception):
    """No answer: a timeout or a connection error (``kind`` is ``"timeout"`` or ``"connection error"``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    *,
    max_body: int = 65536,
    tls: ssl.SSLContext | None = None,
) -> Response:
    """POST ``body`` to ``url``; raise ``TransportError`` when no answer came within ``timeout``.

    ``tls`` verifies the server (default: the system's certificate authorities and the host name)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=tls or ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.putrequest("POST", target, skip_accept_encoding=True)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders()
        sock = connection.sock
        assert sock is not None
        early, cut_off = _send_body(sock, body, time.monotonic() + timeout)
        try:
            response = http.client.HTTPResponse(_Replay(early, sock), method="POST")  # type: ignore[arg-type]
            response.begin()
            data = response.read(max_body)
        except (OSError, http.client.HTTPException) as error:
            raise _no_answer(cut_off or error) from None
        names = {name.lower(): value for name, value in response.getheaders()}
        return Response(response.status, names, data, early=bool(early) or cut_off is not None)
    except TransportError:
        raise
    except (OSError, http.client.HTTPException) as error:
        raise _no_answer(error) from None
    finally:
        connection.close()


def _send_body(sock: socket.socket, body: bytes, deadline: float) -> tuple[bytes, OSError | None]:
    """Send ``body``, stopping at an early answer: (the answer's first bytes, the error that cut us off)."""
    view = memoryview(body)
    offset = 0
    while offset < len(view):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out sending the request body")
        readable, writable, _ = select.select([sock], [sock], [], left)
        if readable:
            early = _peek(sock)
            if early is not None:
                return early, None
        if writable:
            try:
                offset += sock.send(view[offset : offset + _PIECE])
            except OSError as error:  # the server closed: its answer may be waiting to be read
                return b"", error
    return b"", None


def _peek(sock: socket.socket) -> bytes | None:
    """Bytes the server sent (``b""`` when it closed), or None when nothing but TLS housekeeping arrived."""
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        return sock.recv(_PIECE)
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return None
    except OSError:
        return b""  # reset: whatever answer it sent is read next
    finally:
        sock.settimeout(timeout)


def _no_answer(error: BaseException) -> TransportError:
    kind = "timeout" if isinstance(error, TimeoutError) else "connection error"
    return TransportError(kind, f"{type(error).__name__}: {error}")


class _Replay:
    """What ``HTTPResponse`` needs of a socket: a reader that yields the bytes already read first."""

    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        self._raw = _PrefixedReader(prefix, sock)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self._raw)


class _PrefixedReader(io.RawIOBase):
    def __init__(self, prefix: bytes, sock: socket.socket) -> None:
        self._prefix = prefix
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        return self._sock.recv_into(buffer)
