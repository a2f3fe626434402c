"""POST raw events to the ingest endpoint: gzip, chunk, retry, and isolate what the endpoint rejects.

- Events go as a JSON array, ``Content-Encoding: gzip``; every request's compressed body stays within
  ``max_bytes`` (chunks are halved until they fit; an event that alone is too large is split into events of
  fewer findings when it holds several, and is otherwise rejected, never sent).
- Only a genuine ingest answer is a delivery (``receipt.py``): a 202 with the ingest counts, or an empty 202.
  A finding rejected inside it becomes a ``Rejected`` naming the finding and the endpoint's reason. When the
  202 does not say which findings it rejected (it lists at most 100), the chunk is halved and sent again.
- 400 and 413 refuse a whole chunk: it is halved (an event of several findings too) and each half sent on
  its own, so one bad or huge finding cannot keep its neighbours out; alone, it becomes a ``Rejected``.
- 401: the token is read again (it may have been rotated) and the request sent once more at once.
- 429, 408, 5xx, timeouts and connection errors are retried with exponential backoff and full jitter (a
  ``Retry-After`` header, in seconds or as an HTTP date, is a lower bound on the wait), as long as attempts
  remain and the wait plus a request fit before the deadline (the Lambda's remaining time less a margin).
- Anything else (a second 401, 403, 404, 415, a redirect, a 200 page that is not an ingest answer) is
  terminal. Giving up raises ``ForwardError``: Lambda then retries the invocation and finally puts the event
  on the dead-letter queue. Re-sent events are harmless: the endpoint stores each finding once.
"""

from __future__ import annotations

import email.utils
import json
import random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .chunks import MAX_DECOMPRESSED, Item, encode, gzip_body, split
from .deadletter import Rejected, rejected_findings
from .errors import ForwardError
from .log import emit
from .receipt import Receipt, read_receipt
from .transport import Response, TransportError, post

__all__ = ["Sender", "Sent", "StaticToken", "TokenSource"]

_TRANSIENT = frozenset({408, 429})
_REFUSED = frozenset({400, 413})
_TERMINAL_REASONS = {
    401: "the token is missing, wrong or revoked, also after reading the secret again (check the secret)",
    403: "the token lacks the ingest scope openpipeline.events_security",
    404: "no ingest endpoint at this URL (check INGEST_URL)",
    415: "the endpoint does not accept this content type or encoding",
}
# An attempt is not started with less time than this left before the deadline.
_MIN_ATTEMPT_SECONDS = 0.2


class TokenSource(Protocol):
    """Where the ingest token comes from (``secret.TokenCache``): read, and forget after a 401."""

    def token(self) -> str: ...

    def invalidate(self) -> None: ...


@dataclass
class StaticToken:
    """A token that never changes (tests, manual runs)."""

    value: str

    def token(self) -> str:
        return self.value

    def invalidate(self) -> None:
        pass


@dataclass(frozen=True)
class Sent:
    """What one ``send`` call did: ``rejected`` holds what was not delivered, each with its reason."""

    events: int
    requests: int
    bytes: int
    rejected: tuple[Rejected, ...] = ()


@dataclass
class _Run:
    tokens: TokenSource
    token: str | None = None
    refreshed: bool = False
    attempts: int = 0  # of the last request
    requests: int = 0
    bytes: int = 0
    rejected: list[Rejected] = field(default_factory=list)


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
    tls: ssl.SSLContext | None = None  # None: the system's certificate authorities

    def send(self, events: Sequence[Mapping[str, Any]], token: str | TokenSource, deadline: float) -> Sent:
        """Deliver every event, or reject it with a reason, or raise ``ForwardError``.

        ``deadline`` is a ``clock()`` value."""
        run = _Run(StaticToken(token) if isinstance(token, str) else token)
        pending = list(self._fit([Item(event, encode(event)) for event in events], run))
        pending.reverse()  # a stack: first chunk first, halves in order
        while pending:
            chunk = pending.pop()
            body = gzip_body(chunk)
            response = self._deliver(body, len(chunk), run, deadline)
            run.requests += 1
            run.bytes += len(body)
            receipt = read_receipt(response.status, response.headers, response.body)
            halves = split(chunk)
            if receipt is not None:
                grouped = receipt.by_event(len(chunk))
                if grouped is None and halves:
                    emit("forward split", reason="rejections not itemised", events=len(chunk))
                    pending.extend(reversed(halves))
                    continue
                run.rejected.extend(_rejections(chunk, receipt, grouped))
            elif response.status in _REFUSED and halves:
                emit("forward split", status=response.status, events=len(chunk))
                pending.extend(reversed(halves))
            elif response.status in _REFUSED:
                run.rejected.append(_refused(chunk[0], response))
            else:
                raise self._terminal(response, run.attempts)
        return Sent(len(events), run.requests, run.bytes, tuple(run.rejected))

    def _fit(self, items: list[Item], run: _Run) -> Iterator[list[Item]]:
        """Chunks whose compressed body fits ``max_bytes``; an event too large alone is split or rejected."""
        if not items:
            return
        raw_size = sum(len(item.raw) + 1 for item in items) + 1
        if raw_size <= MAX_DECOMPRESSED and len(gzip_body(items)) <= self.max_bytes:
            yield items
            return
        halves = split(items)
        if halves:
            for half in halves:
                yield from self._fit(half, run)
            return
        size = len(gzip_body(items))
        reason = (
            f"the event is {size} bytes compressed ({raw_size} raw), over the limit of {self.max_bytes} "
            "bytes per request (FORWARD_MAX_BYTES): it was not sent"
        )
        emit("forward rejected", level="ERROR", events=1, bytes=size, error=reason)
        run.rejected.append(Rejected(items[0].event, "EVENT_TOO_LARGE", reason))

    def _deliver(self, body: bytes, count: int, run: _Run, deadline: float) -> Response:
        """POST until an answer that is not worth retrying; raise ``ForwardError`` when giving up."""
        where: dict[str, Any] = {"events": count, "bytes": len(body)}
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - self.clock()
            if remaining < _MIN_ATTEMPT_SECONDS:
                raise self._give_up(f"no time left for attempt {attempt}", None, attempt - 1, where)
            if run.token is None:
                run.token = run.tokens.token()
            started = self.clock()
            status, retry_after, detail, response = self._post(
                body, run.token, min(self.timeout_seconds, remaining)
            )
            latency_ms = round((self.clock() - started) * 1000, 1)
            fields: dict[str, Any] = {**where, "status": status, "attempt": attempt, "latency_ms": latency_ms}
            if status == 401 and not run.refreshed:
                run.refreshed = True
                run.tokens.invalidate()
                old, run.token = run.token, run.tokens.token()
                if run.token != old:
                    emit("token refreshed", level="WARNING", **fields, error=detail)
                    continue
            transient = status is None or status in _TRANSIENT or status >= 500
            if response is not None and not transient:
                run.attempts = attempt
                receipt = read_receipt(response.status, response.headers, response.body)
                counts: dict[str, Any] = {}
                if receipt is not None and receipt.accepted is not None:
                    counts = {"accepted": receipt.accepted, "rejected": receipt.rejected}
                emit("forwarded" if receipt else "forward refused", **fields, **counts)
                return response
            if attempt >= self.max_attempts:
                raise self._give_up(f"{detail} after {attempt} attempts", status, attempt, fields)
            wait = self._backoff(attempt, retry_after)
            if self.clock() + wait + _MIN_ATTEMPT_SECONDS > deadline:
                raise self._give_up(f"{detail}; no time left to wait {wait:.2f} s", status, attempt, fields)
            emit("forward retry", level="WARNING", **fields, error=detail, wait_seconds=round(wait, 3))
            self.sleep(wait)

    def _post(
        self, body: bytes, token: str, timeout: float
    ) -> tuple[int | None, float | None, str, Response | None]:
        """(status or None when no answer came, Retry-After in seconds, a short description, the answer)."""
        headers = {
            "Authorization": f"Api-Token {token}",
            "Content-Type": "application/json; charset=utf-8",
            "Content-Encoding": "gzip",
            "User-Agent": "threatlake-forwarder",
        }
        try:
            response = post(self.url, body, headers, timeout, tls=self.tls)
        except TransportError as error:
            return None, None, str(error), None
        retry_after = _retry_after(response.headers.get("retry-after"), self.wall_clock())
        return response.status, retry_after, _describe(response), response

    def _terminal(self, response: Response, attempts: int) -> ForwardError:
        status = response.status
        if 200 <= status < 300:
            kind = response.headers.get("content-type", "no content type")
            reason = (
                f"not an ingest answer ({kind}): the events may not have been stored (check INGEST_URL "
                "and any proxy in between)"
            )
        elif 300 <= status < 400:
            reason = f"a redirect to {response.headers.get('location', '?')} (not followed)"
        else:
            reason = _TERMINAL_REASONS.get(status, "the endpoint refused the request")
        error = ForwardError(
            f"HTTP {status} from {self.url}: {reason}; {_describe(response)}",
            status=status,
            attempts=attempts,
            transient=False,
        )
        emit("forward rejected", level="ERROR", status=status, error=str(error))
        return error

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1))
        wait = self.jitter() * ceiling
        return max(wait, retry_after) if retry_after is not None else wait

    def _give_up(self, why: str, status: int | None, attempts: int, fields: dict[str, Any]) -> ForwardError:
        emit("forward failed", level="ERROR", **fields, error=why)
        return ForwardError(
            f"gave up sending to {self.url}: {why}", status=status, attempts=attempts, transient=True
        )


def _rejections(
    chunk: list[Item], receipt: Receipt, grouped: dict[int, list[Any]] | None
) -> Iterator[Rejected]:
    if grouped is not None:
        for position, errors in sorted(grouped.items()):
            yield rejected_findings(chunk[position].event, position, errors)
    elif receipt.rejected:  # one event, not every rejection listed: the whole event, with what was listed
        listed = [{"location": e.location, "message": e.message} for e in receipt.errors]
        first = receipt.errors[0].message if receipt.errors else "no reason given"
        reason = f"{receipt.rejected} findings rejected by the endpoint ({len(listed)} listed): {first}"
        yield Rejected(chunk[0].event, "FINDINGS_REJECTED", reason, 202, tuple(listed))


def _refused(item: Item, response: Response) -> Rejected:
    reason = f"refused by the endpoint: {_describe(response)}"
    emit("forward rejected", level="ERROR", status=response.status, events=1, error=reason)
    return Rejected(item.event, "EVENT_REFUSED", reason, response.status)


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


def _describe(response: Response) -> str:
    text = response.body[:4096].decode("utf-8", "replace")
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = " ".join(text.split())[:300]
    return f"HTTP {response.status}: {message}" if message else f"HTTP {response.status}"
