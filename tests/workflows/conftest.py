"""Fixtures for the workflow tests: a real DuckDB store with findings, the engine on in-memory state, and the
loopback stand-ins (Jira, Slack, Teams, a signed-webhook receiver)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.workflows import standins
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.query import compile_query, to_result
from threatlake.store import Store, open_store
from threatlake.workflows.actions.base import Services
from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.memory import MemoryCredentials, MemoryWorkflowState
from threatlake.workflows.ports import Credential, QueryFunction

_SAMPLE = Path(__file__).parents[2] / "threatlake/samples/guardduty/eventbridge-instance-c2-network.json"


def guardduty(
    finding_id: str, title: str, instance: str, *, severity: float = 9.5, at: datetime | None = None
) -> bytes:
    """A GuardDuty finding (EventBridge envelope) on EC2 instance ``instance``, updated at ``at`` (now)."""
    document = json.loads(_SAMPLE.read_text())
    detail = document["detail"]
    moment = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    detail.update(id=finding_id, title=title, severity=severity, updatedAt=moment, createdAt=moment)
    detail["resource"]["instanceDetails"]["instanceId"] = instance
    document["time"] = moment
    return json.dumps(document).encode()


def ingest(store: Store, *findings: bytes) -> list[dict[str, Any]]:
    """Map and write findings; the newly stored events (as the new-event hook reports them)."""
    events = []
    for index, data in enumerate(findings):
        events.extend(map_bytes(data, IngestContext(datetime.now(UTC)), f"finding-{index}").events)
    store.write(copy.deepcopy(events))
    return [dict(e) for e in events]


def store_query(store: Store) -> QueryFunction:
    def run(text: str, *, max_records: int) -> dict[str, Any]:
        compiled = compile_query(
            text, dialect=store.dialect, now=datetime.now(UTC), default_from=None, default_to=None,
            max_records=max_records,
        )  # fmt: skip
        table = store.execute(compiled.sql, compiled.params)
        return to_result(compiled, table, scanned_records=table.num_rows, execution_ms=0)

    return run


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    yield opened
    opened.close()


@pytest.fixture
def state() -> MemoryWorkflowState:
    return MemoryWorkflowState()


@pytest.fixture
def credentials() -> MemoryCredentials:
    return MemoryCredentials()


@pytest.fixture
def engine(store: Store, state: MemoryWorkflowState, credentials: MemoryCredentials) -> WorkflowEngine:
    async def no_wait(seconds: float) -> None:
        return None

    services = Services(
        query=store_query(store),
        credentials=credentials,
        sleep=no_wait,
        environment_url="http://threatlake.test",
    )
    return WorkflowEngine(state, state, state, services)


def credential(name: str, type: str, default: bool = True, **fields: Any) -> Credential:
    return Credential(id=f"id-{name}", name=name, type=type, fields=fields, default=default)


@pytest.fixture
def jira() -> Iterator[standins.StandIn]:
    with standins.serve(standins.jira()) as server:
        yield server


@pytest.fixture
def slack() -> Iterator[standins.StandIn]:
    with standins.serve(standins.slack()) as server:
        yield server


@pytest.fixture
def teams() -> Iterator[standins.StandIn]:
    with standins.serve(standins.teams()) as server:
        yield server
