"""``/platform/connections``: create (token + commands), list (counters), delete (revokes); the counters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.web.fakes import AppClient, GatedStore
from threatlake.config import Config
from threatlake.service.access import create_token
from threatlake.service.counters import ConnectionCounters
from threatlake.state import State, open_state
from threatlake.store import WriteResult
from threatlake.web import create_app

PATH = "/platform/connections"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[State]:
    settings = open_state(tmp_path)
    yield settings
    settings.close()


@pytest.fixture
def app(settings: State, tmp_path: Path) -> Iterator[AppClient]:
    store = GatedStore()
    store.gate.set()
    with AppClient(create_app(Config(data_dir=tmp_path), store, settings)) as client:  # type: ignore[arg-type]
        yield client


def headers(settings: State, *scopes: str) -> dict[str, str]:
    _, token = create_token(settings, list(scopes), now=datetime.now(UTC))
    return {"Authorization": f"Api-Token {token}"}


def test_create_list_delete(app: AppClient, settings: State) -> None:
    admin = headers(settings, "settings:read", "settings:write")
    body = {
        "integration": "aws-security-hub",
        "name": "hub",
        "endpoint": "https://tl.example.com",
        "region": "eu-west-1",
    }
    created = app.post(PATH, json=body, headers=admin)
    assert created.status_code == 201, created.text
    payload = created.json()
    assert payload["ingestUrl"] == "https://tl.example.com/platform/ingest/v1/security.events"
    assert payload["warnings"] == [] and payload["tokens"] == [payload["tokenId"]]
    token = payload["token"]
    record = settings.tokens.authenticate(token, now=datetime.now(UTC))
    assert record is not None and record.connection == "hub"
    commands = "\n".join(payload["commands"])
    assert token in commands and "ForwardSecurityHub=true" in commands and "--region eu-west-1" in commands
    listed = app.get(PATH, headers=admin).json()["connections"]
    hub = next(item for item in listed if item["name"] == "hub")
    assert hub == {
        "name": "hub",
        "integration": "aws-security-hub",
        "created": payload["created"],
        "tokens": [payload["tokenId"]],
        "eventsReceived": 0,
        "lastSeen": None,
    }
    assert token not in str(listed)
    assert app.post(PATH, json=body, headers=admin).status_code == 409
    deleted = app.delete(f"{PATH}/hub", headers=admin)
    assert deleted.status_code == 200 and deleted.json()["name"] == "hub"
    assert settings.tokens.authenticate(token, now=datetime.now(UTC)) is None
    assert app.delete(f"{PATH}/hub", headers=admin).status_code == 404
    assert "hub" not in {item["name"] for item in app.get(PATH, headers=admin).json()["connections"]}


def test_default_endpoint_is_the_request_base_url(app: AppClient, settings: State) -> None:
    admin = headers(settings, "settings:write")
    response = app.post(PATH, json={"integration": "amazon-guardduty", "name": "gd"}, headers=admin)
    assert response.status_code == 201
    assert response.json()["ingestUrl"] == "http://test/platform/ingest/v1/security.events"
    assert response.json()["warnings"]  # http:// is refused by the template: said at once


def test_the_public_url_setting_names_the_endpoint_behind_a_load_balancer(
    settings: State, tmp_path: Path
) -> None:
    store = GatedStore()
    store.gate.set()
    config = Config(data_dir=tmp_path, public_url="https://threatlake.example.com")
    with AppClient(create_app(config, store, settings)) as client:  # type: ignore[arg-type]
        admin = headers(settings, "settings:write")
        response = client.post(PATH, json={"integration": "amazon-guardduty", "name": "lb"}, headers=admin)
    assert response.status_code == 201
    body = response.json()
    assert body["ingestUrl"] == "https://threatlake.example.com/platform/ingest/v1/security.events"
    assert not body["warnings"]  # https: nothing to warn about
    assert "https://threatlake.example.com/platform/ingest/v1/security.events" in " ".join(body["commands"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"integration": "okta", "name": "x"}, "integration"),
        ({"name": "x"}, "integration"),
        ({"integration": "amazon-guardduty"}, "name"),
        ({"integration": "amazon-guardduty", "name": "a b"}, "name"),
        ({"integration": "amazon-guardduty", "name": "x", "region": "nowhere"}, "region"),
        ({"integration": "amazon-guardduty", "name": "x", "endpoint": "file:///etc"}, "endpoint"),
        ({"integration": "amazon-guardduty", "name": "x", "endpoint": 3}, "endpoint"),
        ([], None),
    ],
)
def test_invalid_bodies_are_400(app: AppClient, settings: State, body: Any, field: str | None) -> None:
    response = app.post(PATH, json=body, headers=headers(settings, "settings:write"))
    assert response.status_code == 400, response.text
    details = response.json()["error"]["details"]
    assert details.get("field") == field
    if field == "integration" and "integration" in body:
        assert details["valid"] == ["amazon-guardduty", "aws-security-hub"]
        assert "amazon-guardduty, aws-security-hub" in response.json()["error"]["message"]
    listed = app.get(PATH, headers=headers(settings, "settings:read")).json()["connections"]
    assert [item["name"] for item in listed] == ["default"]  # the tokens' own connection (custom)


def test_scopes(app: AppClient, settings: State) -> None:
    reader = headers(settings, "settings:read")
    body = {"integration": "amazon-guardduty", "name": "gd"}
    assert app.get(PATH).status_code == 401
    assert app.post(PATH, json=body, headers=reader).status_code == 403
    assert app.delete(f"{PATH}/gd", headers=reader).status_code == 403
    assert app.get(PATH, headers=headers(settings, "openpipeline.events_security")).status_code == 403


def test_every_connection_can_be_deleted(app: AppClient, settings: State) -> None:
    """``default`` too: its ingest tokens are revoked; the caller's settings token belongs to no connection
    (its ``connection`` is null) and keeps working."""
    admin = headers(settings, "settings:read", "settings:write")
    ingest, _ = create_token(settings, ["openpipeline.events_security"], now=datetime.now(UTC))
    _, custom = create_token(
        settings, ["openpipeline.events_security"], now=datetime.now(UTC), connection="lab"
    )
    listed = {c["name"]: c["tokens"] for c in app.get(PATH, headers=admin).json()["connections"]}
    assert listed == {"default": [ingest.id], "lab": [custom.split(".")[1]]}
    for name in ("default", "lab"):
        response = app.delete(f"{PATH}/{name}", headers=admin)
        assert response.status_code == 200 and response.json()["name"] == name
    assert app.get(PATH, headers=admin).json()["connections"] == []
    assert settings.tokens.get(ingest.id).revoked is not None
    tokens = app.get("/platform/tokens", headers=admin).json()["tokens"]
    assert {t["connection"] for t in tokens if t["revoked"] is None} == {None}
    assert app.delete(f"{PATH}/default", headers=admin).status_code == 404


def test_ingest_counts_per_connection(app: AppClient, settings: State) -> None:
    from tests.web.conftest import INGEST, SAMPLES

    admin = headers(settings, "settings:read", "settings:write")
    token = app.post(PATH, json={"integration": "amazon-guardduty", "name": "gd"}, headers=admin).json()[
        "token"
    ]
    sample = (SAMPLES / "guardduty" / "eventbridge-instance-c2-network.json").read_bytes()
    ingest = {"Authorization": f"Api-Token {token}", "Content-Type": "application/json"}
    for _ in range(2):
        assert app.post(INGEST, content=sample, headers=ingest).status_code == 202
    # the first write is counted at once, the second within the interval (1 s) by the timer
    wait_for(lambda: settings.connections.get("gd").events_received == 2)
    assert settings.connections.get("gd").last_seen is not None


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    done = threading.Event()
    deadline = datetime.now(UTC).timestamp() + timeout
    while not condition():
        assert datetime.now(UTC).timestamp() < deadline, "condition not met in time"
        done.wait(0.05)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counters_write_at_most_once_per_interval(settings: State) -> None:
    settings.connections.create("a", "amazon-guardduty", now=datetime.now(UTC))
    settings.connections.create("b", "aws-security-hub", now=datetime.now(UTC))
    calls: list[dict[str, tuple[int, datetime]]] = []
    record = settings.connections.record_received

    def spy(counts: Any) -> None:
        calls.append(dict(counts))
        record(counts)

    settings.connections.record_received = spy  # type: ignore[method-assign]
    clock = Clock()
    counters = ConnectionCounters(settings.connections, interval=60.0, clock=clock)
    events: list[Any] = [{"dt.ingest.connection": "a"}] * 3 + [{"dt.ingest.connection": "b"}, {}]
    counters.count_written(events, WriteResult(5, 0))  # first write: at once
    counters.count_written(events, WriteResult(0, 5))  # within the interval: pending (a timer is set)
    assert [{name: n for name, (n, _) in call.items()} for call in calls] == [{"a": 3, "b": 1}]
    clock.now += 60
    counters.count_written([{"dt.ingest.connection": "a"}], WriteResult(1, 0))  # due: everything pending
    assert {name: n for name, (n, _) in calls[-1].items()} == {"a": 4, "b": 1}
    counters.count_written([{"dt.ingest.connection": "b"}], WriteResult(1, 0))
    counters.close()  # writes the rest, cancels the timer
    assert len(calls) == 3
    assert (settings.connections.get("a").events_received, settings.connections.get("b").events_received) == (
        7,
        3,
    )
    assert settings.connections.get("a").last_seen is not None


def test_counters_timer_writes_the_tail_of_a_burst(settings: State) -> None:
    settings.connections.create("a", "amazon-guardduty", now=datetime.now(UTC))
    counters = ConnectionCounters(settings.connections, interval=0.2)
    counters.count_written([{"dt.ingest.connection": "a"}], WriteResult(1, 0))
    counters.count_written([{"dt.ingest.connection": "a"}], WriteResult(1, 0))
    assert settings.connections.get("a").events_received == 1
    wait_for(lambda: settings.connections.get("a").events_received == 2)
    counters.close()
