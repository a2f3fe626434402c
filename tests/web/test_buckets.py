"""``/platform/buckets`` and the service's retention sweeper."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.store.conftest import make_event
from tests.web.fakes import AppClient
from threatlake.config import Config
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.store import Store, open_store
from threatlake.web.api.buckets import sweeper
from threatlake.web.app import create_app

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[AppClient, dict[str, str], dict[str, str]]]:
    store = open_store(tmp_path)
    settings = open_state(tmp_path)
    read = {"Authorization": f"Api-Token {create_token(settings, ['settings:read'], now=NOW)[1]}"}
    write = {"Authorization": f"Api-Token {create_token(settings, ['settings:write'], now=NOW)[1]}"}
    with AppClient(create_app(Config(), store, settings)) as app_client:
        yield app_client, read, write
    store.close()
    settings.close()


def test_create_list_delete(client: tuple[AppClient, dict[str, str], dict[str, str]]) -> None:
    app, read, write = client
    created = app.post(
        "/platform/buckets", json={"name": "long_retention", "retentionDays": 730}, headers=write
    )
    assert created.status_code == 201 and created.json()["retentionDays"] == 730
    assert (
        app.post(
            "/platform/buckets", json={"name": "long_retention", "retentionDays": 1}, headers=write
        ).status_code
        == 409
    )
    names = {b["name"] for b in app.get("/platform/buckets", headers=read).json()["buckets"]}
    assert names == {"default_securityevents", "long_retention"}
    assert app.delete("/platform/buckets/long_retention", headers=write).json() == {
        "name": "long_retention",
        "deletedEvents": 0,
    }
    assert app.delete("/platform/buckets/long_retention", headers=write).status_code == 404
    assert app.delete("/platform/buckets/default_securityevents", headers=write).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a b", "retentionDays": 3},
        {"name": "x", "retentionDays": 0},
        {"name": "x", "retentionDays": 8378506969},  # found by schemathesis: was a 500
        {"name": 5},
        {"retentionDays": 3},
    ],
)
def test_invalid_buckets_are_400(
    client: tuple[AppClient, dict[str, str], dict[str, str]], body: object
) -> None:
    app, _, write = client
    assert app.post("/platform/buckets", json=body, headers=write).status_code == 400


def test_scopes(client: tuple[AppClient, dict[str, str], dict[str, str]]) -> None:
    app, read, _ = client
    assert (
        app.post("/platform/buckets", json={"name": "x", "retentionDays": 3}, headers=read).status_code == 403
    )
    assert app.get("/platform/buckets").status_code == 401


def test_the_sweeper_deletes_expired_events_at_start_and_goes_on(tmp_path: Path) -> None:
    store: Store = open_store(tmp_path)
    old = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    store.write([make_event("ancient", old), make_event("recent", datetime.now(UTC).isoformat())])

    async def one_turn() -> None:
        task = asyncio.create_task(sweeper(store, every=3600))
        await asyncio.sleep(0.5)
        task.cancel()

    asyncio.run(one_turn())
    assert [r["finding.id"] for r in store.execute('SELECT "finding.id" FROM events').to_pylist()] == [
        "recent"
    ]
    store.close()
