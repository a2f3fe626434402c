"""Tokens: the same contract on SQLite and in memory (expiry, revocation, per connection)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.state.conftest import NOW
from threatlake.errors import NotFoundError, RequestError
from threatlake.service.access import create_token
from threatlake.state import State


def test_create_authenticate_revoke(state: State) -> None:
    record, text = create_token(state, ["settings:read", "settings:read"], now=NOW, name="ci")
    assert record.scopes == ("settings:read",) and record.name == "ci" and record.connection == "default"
    found = state.tokens.authenticate(text, now=NOW)
    assert found is not None and found.id == record.id and found.last_used is not None
    assert state.tokens.authenticate(text[:-2] + "xx", now=NOW) is None
    assert state.tokens.revoke(record.id, now=NOW + timedelta(hours=1)).revoked == "2026-03-04T06:06:07Z"
    assert state.tokens.revoke(record.id, now=NOW + timedelta(hours=2)).revoked == "2026-03-04T06:06:07Z"
    assert state.tokens.authenticate(text, now=NOW) is None
    with pytest.raises(NotFoundError):
        state.tokens.get("nope")


def test_expiry(state: State) -> None:
    record, text = create_token(state, ["settings:read"], now=NOW, expires=NOW + timedelta(days=1))
    assert record.expires == "2026-03-05T05:06:07Z"
    assert state.tokens.authenticate(text, now=NOW + timedelta(hours=23)) is not None
    assert state.tokens.authenticate(text, now=NOW + timedelta(days=1)) is None
    assert state.tokens.get(record.id).as_dict()["expires"] == "2026-03-05T05:06:07Z"


def test_revoke_connection_and_validation(state: State) -> None:
    one, _ = create_token(state, ["openpipeline.events_security"], now=NOW, connection="acct")
    two, _ = create_token(state, ["openpipeline.events_security"], now=NOW, connection="acct")
    other, _ = create_token(state, ["openpipeline.events_security"], now=NOW, connection="else")
    assert state.tokens.revoke_connection("acct", now=NOW) == 2
    assert [t.revoked is not None for t in (state.tokens.get(r.id) for r in (one, two, other))] == [
        True,
        True,
        False,
    ]
    assert [t.id for t in state.tokens.list()] == sorted([one.id, two.id, other.id])  # same time: by id
    for scopes in ([], ["admin"]):
        with pytest.raises(RequestError, match="scope"):
            state.tokens.create(scopes, now=NOW)
