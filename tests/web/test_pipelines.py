"""A custom endpoint bound to a drop / fieldsAdd / route pipeline stores exactly what the pipeline says,
and the pipelines REST resource validates, stores and applies definitions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests import golden
from tests.web.fakes import AppClient
from threatlake.config import Config
from threatlake.service.access import create_token
from threatlake.state import State, open_state
from threatlake.store import Store, open_store
from threatlake.web.app import create_app

NOW = datetime(2026, 11, 23, tzinfo=UTC)
CUSTOM = "/platform/ingest/custom/security.events/vulns"
BUILTIN = "/platform/ingest/v1/security.events"
PIPELINE = """
name: vulns
endpoint: vulns
processors:
  - type: filter
    condition: event.type == "VULNERABILITY_FINDING"
  - type: drop
    condition: dt.security.risk.level == "NONE" or dt.security.risk.level == "LOW"
  - type: fieldsAdd
    fields:
      team: concat("sec-", lower(dt.security.risk.level))
  - type: route
    condition: aws.account.id == "123456789012"
    bucket: long_retention
"""
FILES = [p for p in golden.inputs() if "securityhub" in str(p)]


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[AppClient, Store, dict[str, str]]]:
    store = open_store(tmp_path / "data")
    settings: State = open_state(tmp_path / "data")
    tokens = {
        scope: create_token(settings, [scope], now=NOW)[1]
        for scope in ("openpipeline.events_security.custom", "openpipeline.events_security", "settings:write")
    }
    app = create_app(Config(), store, settings)
    with AppClient(app) as client:
        yield client, store, tokens
    store.close()
    settings.close()


def _auth(token: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Api-Token {token}", "Content-Type": content_type}


def _put(client: AppClient, token: str, text: str) -> Any:
    return client.request(
        "PUT", "/platform/pipelines/vulns", content=text, headers=_auth(token, "application/yaml")
    )


def _bucket(event: dict[str, Any]) -> str | None:
    """Where the pipeline must put ``event``, computed here: None when it must be dropped."""
    if event.get("event.type") != "VULNERABILITY_FINDING" or event["dt.security.risk.level"] in (
        "NONE",
        "LOW",
    ):
        return None
    return "long_retention" if event.get("aws.account.id") == "123456789012" else "default_securityevents"


def _stored(store: Store) -> list[dict[str, Any]]:
    table = store.execute('SELECT "event.id", "dt.system.bucket", extra FROM events')
    return [
        {
            "id": row["event.id"],
            "bucket": row["dt.system.bucket"],
            "extra": orjson.loads(row["extra"] or "{}"),
        }
        for row in table.to_pylist()
    ]


def test_custom_endpoint_stores_exactly_what_its_pipeline_says(
    app_client: tuple[AppClient, Store, dict[str, str]],
) -> None:
    client, store, tokens = app_client
    put = _put(client, tokens["settings:write"], PIPELINE)
    assert put.status_code in (200, 201), put.text
    expected: dict[str, str] = {}
    for path in FILES:
        for event in golden.map_file(path).events:
            bucket = _bucket(event)
            if bucket is not None:
                expected[event["event.id"]] = bucket
        response = client.post(
            CUSTOM, content=path.read_bytes(), headers=_auth(tokens["openpipeline.events_security.custom"])
        )
        assert response.status_code == 202, response.text
    stored = _stored(store)
    assert {row["id"]: row["bucket"] for row in stored} == expected
    assert len(expected) > 10 and "long_retention" in expected.values()
    assert all(row["extra"]["team"].startswith("sec-") for row in stored)


def test_the_builtin_endpoint_is_untouched_by_a_custom_pipeline(
    app_client: tuple[AppClient, Store, dict[str, str]],
) -> None:
    client, store, tokens = app_client
    client.request(
        "PUT",
        "/platform/pipelines/vulns",
        content=PIPELINE,
        headers=_auth(tokens["settings:write"], "application/yaml"),
    )
    path = FILES[0]
    response = client.post(
        BUILTIN, content=path.read_bytes(), headers=_auth(tokens["openpipeline.events_security"])
    )
    assert response.status_code == 202
    assert len(_stored(store)) == len({e["event.id"] for e in golden.map_file(path).events})


def test_an_invalid_pipeline_is_a_positioned_400_and_nothing_changes(
    app_client: tuple[AppClient, Store, dict[str, str]],
) -> None:
    client, _, tokens = app_client
    bad = PIPELINE.replace("lower(", "lowr(")
    response = client.request(
        "PUT",
        "/platform/pipelines/vulns",
        content=bad,
        headers=_auth(tokens["settings:write"], "application/yaml"),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "lowr" in error["message"] or "lowr" in orjson.dumps(error["details"]).decode()
    (problem, *_) = error["details"]["problems"]
    assert problem["line"] > 1
    listed = client.get("/platform/pipelines", headers=_auth(tokens["settings:write"])).json()
    assert listed.get("pipelines", []) == []


def test_lone_surrogates_in_a_definition_get_a_400_not_a_500(
    app_client: tuple[AppClient, Store, dict[str, str]],
) -> None:
    client, _, tokens = app_client
    body = '{"\\ud86c\\udff4x": 1}'  # JSON escapes of lone surrogates, as a fuzzer sent them
    response = client.request(
        "PUT",
        "/platform/pipelines/p",
        content=body,
        headers=_auth(tokens["settings:write"], "application/json"),
    )
    assert response.status_code == 400
    assert "Unknown key" in response.json()["error"]["message"]


def test_a_definition_stored_by_another_node_comes_into_force(tmp_path: Path) -> None:
    """``refresher`` re-reads the repository: a pipeline put there by another node (or a file edited by
    hand) is in force at its next turn; a broken one is refused and the pipelines in force stay."""
    from threatlake.state import memory_state
    from threatlake.web.api.pipelines import refresher

    settings = memory_state()
    app = create_app(Config(), open_store(tmp_path / "data"), settings)
    found = app.state.services

    async def scenario() -> tuple[bool, bool, bool]:
        task = asyncio.create_task(refresher(found, every=0.01))
        await asyncio.sleep(0.05)
        before = found.pipelines.for_endpoint("vulns").name == "vulns"
        settings.pipelines.put("vulns", PIPELINE)  # as another node's PUT does
        for _ in range(500):
            await asyncio.sleep(0.01)
            if found.pipelines.for_endpoint("vulns").name == "vulns":
                break
        after = found.pipelines.for_endpoint("vulns").name == "vulns"
        in_force = found.pipelines
        settings.pipelines.put("broken", "name: broken\nendpoint: x\nprocessors: [{type: nope}]\n")
        await asyncio.sleep(0.1)
        kept = found.pipelines is in_force
        settings.pipelines.delete("broken")  # the refresher lives on: the repaired set comes into force
        for _ in range(500):
            await asyncio.sleep(0.01)
            if found.pipelines is not in_force:
                break
        repaired = found.pipelines is not in_force and found.pipelines.for_endpoint("vulns").name == "vulns"
        task.cancel()
        return before, after, kept and repaired

    assert asyncio.run(scenario()) == (False, True, True)
