"""Fault injection against a real loopback HTTP server: what is retried, what is not, and what arrives."""

from __future__ import annotations

import email.utils
import json
import os
import socket
from typing import Any

import pytest

from tests.forwarder.fakes import FakeTime
from tests.forwarder.samples import eventbridge_samples
from tests.forwarder.stub import Reply, serve
from threatlake.forwarder.errors import ForwardError
from threatlake.forwarder.sender import Sender

TOKEN = "tl0c01.public.secret"
EVENTS = list(eventbridge_samples().values())[:3]


def make_sender(url: str, time: FakeTime, **options: Any) -> Sender:
    settings: dict[str, Any] = {
        "timeout_seconds": 2.0,
        "max_attempts": 5,
        "backoff_base_seconds": 1.0,
        "backoff_max_seconds": 8.0,
        "jitter": lambda: 1.0,
        **options,
    }
    return Sender(url=url, sleep=time.sleep, clock=time.clock, wall_clock=time.wall_clock, **settings)


def test_accepted_on_first_attempt_with_gzip_and_token() -> None:
    time = FakeTime()
    with serve(Reply(202)) as stub:
        sent = make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert (sent.events, sent.requests) == (len(EVENTS), 1)
    [request] = stub.received
    assert request.path == "/platform/ingest/v1/security.events"
    assert request.headers["Authorization"] == f"Api-Token {TOKEN}"
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.events == EVENTS  # the raw EventBridge events, untouched
    assert time.sleeps == []


def test_an_empty_202_is_delivered() -> None:
    # the commercial platform's ingest answers 202 with no body: the forwarder works against it too
    time = FakeTime()
    with serve(Reply(202, body=b"")) as stub:
        sent = make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert (sent.requests, sent.rejected) == (1, ())
    assert len(stub.received) == 1


def test_503_then_202_retries_with_backoff() -> None:
    time = FakeTime()
    with serve(Reply(503), Reply(202)) as stub:
        make_sender(stub.url, time, jitter=lambda: 0.5).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert [r.reply.status for r in stub.received] == [503, 202]
    assert time.sleeps == [0.5]  # full jitter: 0.5 × min(max, base × 2⁰)
    assert stub.accepted_events() == EVENTS


def test_429_honours_retry_after_seconds() -> None:
    time = FakeTime()
    with serve(Reply(429, {"Retry-After": "1"}), Reply(202)) as stub:
        make_sender(stub.url, time, jitter=lambda: 0.0).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert time.sleeps == [1.0]
    assert stub.accepted_events() == EVENTS


def test_429_honours_retry_after_http_date() -> None:
    time = FakeTime()
    when = email.utils.formatdate(time.wall + 7, usegmt=True)
    with serve(Reply(429, {"Retry-After": when}), Reply(202)) as stub:
        make_sender(stub.url, time, jitter=lambda: 0.0).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert time.sleeps == [pytest.approx(7.0, abs=1.0)]


def test_retry_after_beyond_the_deadline_gives_up_without_waiting() -> None:
    time = FakeTime()
    with serve(Reply(429, {"Retry-After": "120"})) as stub, pytest.raises(ForwardError) as caught:
        make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 30)
    assert caught.value.transient and caught.value.status == 429
    assert time.sleeps == []
    assert len(stub.received) == 1


def test_timeout_is_retried() -> None:
    time = FakeTime()
    with serve(Reply(202, delay=1.0), Reply(202)) as stub:
        make_sender(stub.url, time, timeout_seconds=0.2).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert len(stub.received) == 2
    assert len(time.sleeps) == 1


def test_connection_closed_without_response_is_retried() -> None:
    time = FakeTime()
    with serve(Reply(drop=True), Reply(202)) as stub:
        make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert [r.reply.drop for r in stub.received] == [True, False]
    assert stub.accepted_events() == EVENTS


def test_connection_refused_is_retried_then_raises() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    time = FakeTime()
    sender = make_sender(f"http://127.0.0.1:{port}/platform/ingest/v1/security.events", time, max_attempts=2)
    with pytest.raises(ForwardError, match="connection error") as caught:
        sender.send(EVENTS, TOKEN, deadline=time.now + 60)
    assert caught.value.transient and caught.value.status is None and caught.value.attempts == 2


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "token"),
        (403, "openpipeline.events_security"),
        (404, "INGEST_URL"),
        (415, "content type"),
    ],
)
def test_client_errors_raise_at_once(status: int, hint: str) -> None:
    time = FakeTime()
    body = json.dumps({"error": {"code": status, "message": "explained by the server"}}).encode()
    with serve(Reply(status, body=body), Reply(202)) as stub, pytest.raises(ForwardError) as caught:
        make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert len(stub.received) == 1  # a fixed token: a 401 is not sent again with the same token
    assert time.sleeps == []
    error = caught.value
    assert (error.status, error.attempts, error.transient) == (status, 1, False)
    assert hint in str(error) and "explained by the server" in str(error)
    assert TOKEN not in str(error)


def test_redirect_is_not_followed() -> None:
    time = FakeTime()
    with (
        serve(Reply(302, {"Location": "/elsewhere"}), Reply(202)) as stub,
        pytest.raises(ForwardError) as caught,
    ):
        make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 60)
    assert caught.value.status == 302 and not caught.value.transient
    assert [r.path for r in stub.received] == ["/platform/ingest/v1/security.events"]


def test_always_503_gives_up_within_the_deadline() -> None:
    time = FakeTime()
    deadline = time.now + 10
    with serve(default=Reply(503)) as stub, pytest.raises(ForwardError) as caught:
        make_sender(stub.url, time, max_attempts=50).send(EVENTS, TOKEN, deadline=deadline)
    # waits 1, 2, 4 (t = 7); the next wait of 8 would end past the deadline
    assert time.sleeps == [1.0, 2.0, 4.0]
    assert time.now <= deadline
    assert len(stub.received) == 4
    assert (caught.value.status, caught.value.attempts, caught.value.transient) == (503, 4, True)


def test_always_503_stops_after_max_attempts() -> None:
    time = FakeTime()
    with serve(default=Reply(503)) as stub, pytest.raises(ForwardError, match="after 3 attempts"):
        make_sender(stub.url, time, max_attempts=3, backoff_max_seconds=1.0).send(
            EVENTS, TOKEN, deadline=time.now + 600
        )
    assert len(stub.received) == 3


def test_large_batch_is_chunked_under_the_limit_and_each_event_arrives_once() -> None:
    time = FakeTime()
    # random payloads compress poorly, so the batch needs several requests
    events = [{"id": index, "detail": {"noise": os.urandom(400).hex()}} for index in range(120)]
    limit = 16 * 1024
    with serve() as stub:
        sent = make_sender(stub.url, time, max_bytes=limit).send(events, TOKEN, deadline=time.now + 60)
    assert sent.requests == len(stub.received) > 3
    assert all(r.compressed_bytes <= limit for r in stub.received)
    assert stub.accepted_events() == events


def test_chunks_are_retried_independently() -> None:
    time = FakeTime()
    events = [{"id": index, "noise": os.urandom(400).hex()} for index in range(40)]
    with serve(Reply(202), Reply(503), Reply(202), default=Reply(202)) as stub:
        make_sender(stub.url, time, max_bytes=8 * 1024).send(events, TOKEN, deadline=time.now + 60)
    assert [r.reply.status for r in stub.received][:3] == [202, 503, 202]
    assert stub.accepted_events() == events  # the refused chunk was sent again, nothing twice


def test_no_events_no_request() -> None:
    time = FakeTime()
    with serve() as stub:
        sent = make_sender(stub.url, time).send([], TOKEN, deadline=time.now + 60)
    assert (sent.events, sent.requests) == (0, 0)
    assert stub.received == []


def test_every_send_is_logged_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    time = FakeTime()
    with serve(Reply(503), Reply(202)) as stub:
        make_sender(stub.url, time).send(EVENTS, TOKEN, deadline=time.now + 60)
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["message"], line["status"], line["attempt"]) for line in lines] == [
        ("forward retry", 503, 1),
        ("forwarded", 202, 2),
    ]
    for line in lines:
        assert line["events"] == len(EVENTS) and line["bytes"] > 0 and line["latency_ms"] >= 0
    assert TOKEN not in out
