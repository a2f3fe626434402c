"""Fault injection against the real Threatlake server: every finding is stored once or dead-lettered with its
reason (moto's SQS as the dead-letter queue), never lost.

A real ``threatlake serve`` (subprocess) on loopback, the real Lambda entry point with its secret read from
moto's Secrets Manager. The cases are the forwarder reproducers of issue 9: a Security Hub event with one
malformed finding among five; a finding the server refuses the whole body for (nested too deeply); an event
over the server's body limit; a token revoked and rotated while a large body is on its way (the server answers
401 before reading it).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.forwarder.conftest import drain
from tests.forwarder.fakes import FakeContext, FakeTime
from tests.forwarder.samples import guardduty_events, real_findings, securityhub_event
from tests.web.conftest import INGEST, Server, start_server
from threatlake.forwarder import handler as handler_module
from threatlake.forwarder.config import DEFAULT_SECRET_KEY_NAME
from threatlake.forwarder.deadletter import MARKER
from threatlake.forwarder.handler import handler
from threatlake.pipeline.mapping import IngestContext, map_bytes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    live = start_server(tmp_path_factory.mktemp("forwarder-faults") / "data", "--no-samples")
    yield live
    assert live.stop() == 0


@pytest.fixture
def lambda_env(
    server: Server,
    make_secret: Callable[[Any], str],
    make_queue: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, str]:
    """A fresh Lambda container configured as deploy/forwarder.yaml configures it; returns (secret, queue)."""
    secret = make_secret({DEFAULT_SECRET_KEY_NAME: server.ingest_token})
    queue = make_queue()
    monkeypatch.setenv("INGEST_URL", f"{server.url}{INGEST}")
    monkeypatch.setenv("THREATLAKE_SECRET_ARN", secret)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queue)
    monkeypatch.setenv("FORWARD_MAX_BYTES", str(32 * 1024 * 1024))
    monkeypatch.delenv("SECRET_KEY_NAME", raising=False)
    monkeypatch.setattr(handler_module, "_forwarder", None)
    return secret, queue


def invoke(payload: Any) -> dict[str, Any]:
    return handler(payload, FakeContext(FakeTime(), remaining_seconds=60))


def event_ids(*events: Any) -> set[str]:
    """The ids the server gives the findings of ``events`` (mapped here, as the server maps them)."""
    ctx = IngestContext(received_at=datetime.now(UTC), source="test")
    batch = map_bytes(json.dumps(list(events)).encode(), ctx, "events")
    assert batch.rejections == [], batch.rejections
    return {str(event["event.id"]) for event in batch.events}


def stored(server: Server, ids: set[str]) -> list[str]:
    """Every stored event among ``ids``, once per time it is stored."""
    records = server.query("fetch security.events | fields event.id")["records"]
    return [r["event.id"] for r in records if r["event.id"] in ids]


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"level": value}
    return value


def test_one_malformed_finding_of_five_is_dead_lettered_and_four_stored_once(
    server: Server, lambda_env: tuple[str, str]
) -> None:
    _, queue = lambda_env
    good = real_findings()[:4]
    event = securityhub_event([good[0], good[1], "not a finding", good[2], good[3]], "five")
    assert invoke(event)["dead_lettered"] == 1
    assert invoke(event)["dead_lettered"] == 1  # EventBridge delivers at least once
    ids = event_ids(securityhub_event(good))
    assert sorted(stored(server, ids)) == sorted(ids) and len(ids) == 4
    messages = drain(queue)
    assert len(messages) == 2
    for message in messages:
        assert message["body"]["event"]["detail"]["findings"] == ["not a finding"]
        about = message["body"][MARKER]
        assert about["code"] == "FINDINGS_REJECTED" and about["status"] == 202
        assert "expected a finding object, got str" in about["reason"]
        assert about["errors"][0]["location"] == "detail.findings[0]"


def test_a_finding_that_gets_the_whole_body_refused_is_isolated(
    server: Server, lambda_env: tuple[str, str]
) -> None:
    # The server refuses the whole body for one finding nested deeper than its limit (400, or, once it rejects
    # only that finding, a 202 listing it): either way its neighbours are stored and it is dead-lettered.
    _, queue = lambda_env
    good = real_findings()[4:8]
    deep = {**real_findings()[8], "ProductFields": nested(80)}
    events = [guardduty_events()[0], securityhub_event([good[0], good[1], deep, good[2], good[3]], "deep")]
    events.append(guardduty_events()[1])
    result = invoke(events)
    assert result["dead_lettered"] == 1
    ids = event_ids(events[0], events[2], securityhub_event(good))
    assert sorted(stored(server, ids)) == sorted(ids) and len(ids) == 6
    [message] = drain(queue)
    assert message["body"]["event"]["detail"]["findings"] == [deep]
    assert message["body"][MARKER]["code"] in {"EVENT_REFUSED", "FINDINGS_REJECTED"}
    assert "deep" in message["body"][MARKER]["reason"].lower()


def test_an_event_over_the_servers_body_limit_is_dead_lettered_and_its_neighbours_stored(
    server: Server, lambda_env: tuple[str, str]
) -> None:
    _, queue = lambda_env
    padding = base64.b64encode(os.urandom(11 * 1024 * 1024)).decode()  # random: about 11.5 MB gzipped
    huge = {**guardduty_events()[2], "padding": padding}  # over the server's 10 MiB max_body_bytes
    events = [guardduty_events()[3], huge, guardduty_events()[4]]
    assert invoke(events)["dead_lettered"] == 1
    ids = event_ids(events[0], events[2])
    assert sorted(stored(server, ids)) == sorted(ids)
    [message] = drain(queue)
    about = message["body"][MARKER]
    assert (about["code"], about["status"]) == ("EVENT_REFUSED", 413)
    # 15 MB do not fit an SQS message (256 KiB): the dead letter names the event and its size instead
    assert "event" not in message["body"]
    assert message["body"]["eventSummary"]["id"] == huge["id"]
    assert message["body"]["eventSummary"]["findingIds"] == [huge["detail"]["Id"]]
    assert about["eventBytes"] > 10 * 1024 * 1024


@pytest.mark.parametrize("megabytes", [1, 4, 8])
def test_a_token_rotated_while_a_large_body_is_sent_is_read_again_at_once(
    server: Server, lambda_env: tuple[str, str], aws: Any, megabytes: int
) -> None:
    secret, queue = lambda_env
    admin = server.client(server.admin_token)
    minted = [
        admin.post("/platform/tokens", json={"scopes": ["openpipeline.events_security"], "name": f"fwd-{n}"})
        for n in range(2)
    ]
    assert [response.status_code for response in minted] == [201, 201]
    old, new = (response.json() for response in minted)
    aws.put_secret_value(SecretId=secret, SecretString=json.dumps({DEFAULT_SECRET_KEY_NAME: old["token"]}))
    invoke(guardduty_events()[5])  # a warm container that has the old token cached
    assert admin.delete(f"/platform/tokens/{old['id']}").status_code == 200
    aws.put_secret_value(SecretId=secret, SecretString=json.dumps({DEFAULT_SECRET_KEY_NAME: new["token"]}))
    finding = real_findings()[10 + megabytes]
    large = securityhub_event([{**finding, "Note": {"Text": os.urandom(megabytes * 1024 * 1024).hex()}}])
    result = invoke(large)  # the server answers 401 before it reads the body; the forwarder reads the secret
    assert result["dead_lettered"] == 0 and result["requests"] == 1
    ids = event_ids(large)
    assert stored(server, ids) == list(ids)
    assert drain(queue) == []
