"""Every data object DQL can fetch needs a scope: a new table or view without one would be readable by any
token that reaches the query endpoints."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from threatlake.errors import ScopeError
from threatlake.query import compile_query
from threatlake.query.fetch import TABLES, VIEWS
from threatlake.service.query import QUERY_SCOPES, TABLE_SCOPES, authorize


def test_every_fetchable_data_object_has_a_scope() -> None:
    assert set(VIEWS) | set(TABLES) == set(TABLE_SCOPES)


def test_a_data_object_without_a_scope_is_refused_to_everyone() -> None:
    compiled = compile_query("fetch security.events", now=datetime(2026, 1, 1, tzinfo=UTC))
    authorize(compiled, ("storage:security.events:read",))
    unscoped = replace(compiled, tables=frozenset({"security.events", "new.table"}))
    with pytest.raises(ScopeError, match=r"No scope grants fetching new\.table"):
        authorize(unscoped, QUERY_SCOPES)  # every query scope there is, still refused
