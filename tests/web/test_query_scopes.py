"""The platform's read scopes per data object: ``storage:<table>:read`` for each table a query fetches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.web.conftest import ALL_TIME, EXECUTE
from tests.web.fakes import AppClient
from threatlake.config import Config
from threatlake.service.access import create_token
from threatlake.state import State, open_state
from threatlake.store.duckdb import DuckDBStore
from threatlake.web import create_app

JOINED = "fetch security.events | join [fetch events], on:{event.id}"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[AppClient, State]]:
    settings = open_state(tmp_path)
    store = DuckDBStore.in_dir(tmp_path)
    try:
        with AppClient(create_app(Config(data_dir=tmp_path), store, settings)) as client:
            yield client, settings
    finally:
        store.close()
        settings.close()


def _status(app: tuple[AppClient, State], scopes: list[str], query: str) -> tuple[int, str]:
    client, settings = app
    _, token = create_token(settings, scopes, now=datetime.now(UTC))
    body = {"query": query, **ALL_TIME}
    response = client.post(EXECUTE, json=body, headers={"Authorization": f"Api-Token {token}"})
    return response.status_code, response.text


@pytest.mark.parametrize(
    ("scopes", "query", "allowed"),
    [
        (["storage:events:read"], "fetch events", True),
        (["storage:events:read", "storage:buckets:read"], "fetch events", True),
        (["storage:events:read"], "fetch security.events", False),
        (["storage:security.events:read"], "fetch security.events", True),
        (["storage:security.events:read"], "fetch events", False),
        (["storage:bucket-definitions:read"], "fetch dt.system.buckets", True),
        (["storage:security.events:read"], "fetch dt.system.buckets", False),
        # a subquery's table needs its scope too
        (["storage:security.events:read"], JOINED, False),
        (["storage:security.events:read", "storage:events:read"], JOINED, True),
    ],
)
def test_each_table_needs_its_scope(
    app: tuple[AppClient, State], scopes: list[str], query: str, allowed: bool
) -> None:
    status, text = _status(app, scopes, query)
    if allowed:
        assert status == 202, text
    else:
        assert status == 403 and "needs the scope" in text, text


@pytest.mark.parametrize("scopes", [["storage:buckets:read"], ["settings:read"]])
def test_a_token_without_a_table_scope_cannot_query(app: tuple[AppClient, State], scopes: list[str]) -> None:
    status, text = _status(app, scopes, "fetch security.events")
    assert status == 403 and "one of 'storage:security.events:read'" in text
