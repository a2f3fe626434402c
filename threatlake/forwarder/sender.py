"""POST raw events to the ingest endpoint: gzip, chunk under the size limit, retry what is worth retrying.

- Events go as a JSON array, ``Content-Encoding: gzip``; every request's compressed body stays within
  ``max_bytes`` (chunks are halved until they fit; one event that alone is too large is a terminal error).
- 200, 202 and 204 are success. 429, 408, 5xx, timeouts and connection errors are retried with exponential
  backoff and full jitter (a ``Retry-After`` header, in seconds or as an HTTP date, is a lower bound on the
  wait), as long as attempts remain and the wait plus a request fit before the deadline (the Lambda's
  remaining time less a safety margin). Any other status, a redirect included, is terminal: no retry.
- Giving up raises ``ForwardError``: Lambda then retries the invocation and finally puts the event on the
  dead-letter queue. Re-sent chunks are harmless: ingest is idempotent.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ForwardError
from .log import emit

__all__ = ["ACCEPTED", "Sender", "Sent"]

ACCEPTED = frozenset({200, 202, 204})
_TRANSIENT = frozenset({408, 429})
_TERMINAL_REASONS = {
    400: "the endpoint rejected the body as invalid",
    401: "the token is missing, wrong or revoked (check the secret and its key name)",
    403: "the token lacks the ingest scope openpipeline.events_security",
    404: "no ingest endpoint at this URL (check INGEST_URL)",
    413: "a request is over the endpoint's size limit (lower FORWARD_MAX_BYTES)",
    415: "the endpoint does not accept this content type or encoding",
}
# The endpoint's decompressed limit (api.md: 64 MiB); chunks stay under it whatever their compressed size.
_MAX_DECOMPRESSED = 64 * 1024 * 1024
# An attempt is not started with less time than this left before the deadline.
_MIN_ATTEMPT_SECONDS = 0.2
_ERROR_BODY_BYTES = 4096


@dataclass(frozen=True)
class Sent:
    """What one ``send`` call delivered."""

    events: int
    requests: int
    bytes: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET that carries the token elsewhere, and report the GET's
    # 200 as if the events had been accepted: a redirect must be an error instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Sender:
    """POSTs events to ``url`` with ``Authorization: Api-Token <token>``; clock, sleep, jitter injectable."""

    url: str
    max_bytes: int = 1024 * 1024
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    jitter: Callable[[], float] = random.random
    _opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirect()), init=False, repr=False
    )

    def send(self, events: Sequence[Mapping[str, Any]], token: str, deadline: float) -> Sent:
        """Deliver every event once, or raise ``ForwardError``. ``deadline`` is a ``clock()`` value."""
        chunks = list(self._chunks([_encode(event) for event in events]))
        total = 0
        for index, (body, count) in enumerate(chunks, start=1):
            self._deliver(body, count, token, deadline, chunk=index, chunks=len(chunks))
            total += len(body)
        return Sent(events=len(events), requests=len(chunks), bytes=total)

    def _chunks(self, items: list[bytes]) -> Iterator[tuple[bytes, int]]:
        if not items:
            return
        raw = b"[" + b",".join(items) + b"]"
        body = gzip.compress(raw, compresslevel=6, mtime=0)
        if len(body) <= self.max_bytes and len(raw) <= _MAX_DECOMPRESSED:
            yield body, len(items)
        elif len(items) == 1:
            raise ForwardError(
                f"one event is {len(body)} bytes compressed ({len(raw)} raw), over the limit of "
                f"{self.max_bytes} bytes per request (FORWARD_MAX_BYTES): it cannot be sent",
                transient=False,
            )
        else:
            middle = len(items) // 2
            yield from self._chunks(items[:middle])
            yield from self._chunks(items[middle:])

    def _deliver(
        self, body: bytes, count: int, token: str, deadline: float, *, chunk: int, chunks: int
    ) -> None:
        where: dict[str, Any] = {"chunk": chunk, "chunks": chunks, "events": count, "bytes": len(body)}
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - self.clock()
            if remaining < _MIN_ATTEMPT_SECONDS:
                raise self._give_up(f"no time left for attempt {attempt}", None, attempt - 1, where)
            started = self.clock()
            status, retry_after, detail = self._post(body, token, min(self.timeout_seconds, remaining))
            latency_ms = round((self.clock() - started) * 1000, 1)
            fields: dict[str, Any] = {**where, "status": status, "attempt": attempt, "latency_ms": latency_ms}
            if status in ACCEPTED:
                emit("forwarded", **fields)
                return
            transient = status is None or status in _TRANSIENT or status >= 500
            if not transient:
                reason = _TERMINAL_REASONS.get(status or 0, "the endpoint refused the request")
                emit("forward rejected", level="ERROR", **fields, error=detail)
                raise ForwardError(
                    f"HTTP {status} from {self.url}: {reason}; {detail}",
                    status=status,
                    attempts=attempt,
                    transient=False,
                )
            if attempt >= self.max_attempts:
                raise self._give_up(f"{detail} after {attempt} attempts", status, attempt, fields)
            wait = self._backoff(attempt, retry_after)
            if self.clock() + wait + _MIN_ATTEMPT_SECONDS > deadline:
                raise self._give_up(f"{detail}; no time left to wait {wait:.2f} s", status, attempt, fields)
            emit("forward retry", level="WARNING", **fields, error=detail, wait_seconds=round(wait, 3))
            self.sleep(wait)

    def _post(self, body: bytes, token: str, timeout: float) -> tuple[int | None, float | None, str]:
        """(status or None when no response came, Retry-After in seconds, a short description)."""
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Api-Token {token}",
                "Content-Type": "application/json; charset=utf-8",
                "Content-Encoding": "gzip",
                "User-Agent": "threatlake-forwarder",
            },
        )
        try:
            with self._opener.open(request, timeout=timeout) as response:
                response.read()
                return response.status, None, f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            with error:
                try:
                    text = error.read(_ERROR_BODY_BYTES).decode("utf-8", "replace")
                except (OSError, http.client.HTTPException):
                    text = ""
            retry_after = _retry_after(error.headers.get("Retry-After"), self.wall_clock())
            return error.code, retry_after, _describe(error.code, text)
        except urllib.error.URLError as error:
            reason = error.reason
            kind = "timeout" if isinstance(reason, TimeoutError) else "connection error"
            return None, None, f"{kind}: {reason}"
        except TimeoutError as error:
            return None, None, f"timeout: {error}"
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            return None, None, f"connection error: {type(error).__name__}: {error}"

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1))
        wait = self.jitter() * ceiling
        return max(wait, retry_after) if retry_after is not None else wait

    def _give_up(self, why: str, status: int | None, attempts: int, fields: dict[str, Any]) -> ForwardError:
        emit("forward failed", level="ERROR", **fields, error=why)
        return ForwardError(
            f"gave up sending to {self.url}: {why}", status=status, attempts=attempts, transient=True
        )


def _encode(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _describe(status: int, text: str) -> str:
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = " ".join(text.split())[:300]
    return f"HTTP {status}: {message}" if message else f"HTTP {status}"
