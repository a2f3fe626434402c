"""Every data object DQL can fetch needs a scope: a new table or view without one would be readable by any
token that reaches the query endpoints."""

from __future__ import annotations

from threatlake.query.fetch import TABLES, VIEWS
from threatlake.service.query import TABLE_SCOPES


def test_every_fetchable_data_object_has_a_scope() -> None:
    assert set(VIEWS) | set(TABLES) == set(TABLE_SCOPES)
