"""Tokens and connections: the operations that span both repositories (one transaction each).

Used alike by the API (``/platform/tokens``, ``/platform/connections``), the command line
(``threatlake token``, ``threatlake connection``) and the first start of the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from threatlake.state import State
from threatlake.state.connections import ConnectionRecord
from threatlake.state.tokens import DEFAULT_CONNECTION, INGEST_SCOPE, TokenRecord

__all__ = ["create_connection", "create_token", "delete_connection", "get_connection", "list_connections"]


def create_token(
    state: State,
    scopes: Sequence[str],
    *,
    now: datetime,
    name: str = "",
    connection: str = DEFAULT_CONNECTION,
    expires: datetime | None = None,
) -> tuple[TokenRecord, str]:
    """A new token of ``connection`` (made when missing) and its full text, shown once."""
    with state.transaction():
        state.connections.ensure(connection, now=now)
        return state.tokens.create(scopes, now=now, name=name, connection=connection, expires=expires)


def _with_tokens(state: State, records: list[ConnectionRecord]) -> list[ConnectionRecord]:
    live: dict[str, list[str]] = {}
    for token in state.tokens.list():
        if token.revoked is None:
            live.setdefault(token.connection, []).append(token.id)
    return [replace(record, tokens=tuple(live.get(record.name, ()))) for record in records]


def list_connections(state: State) -> list[ConnectionRecord]:
    """Live connections by name, with their live token ids and counters."""
    return _with_tokens(state, state.connections.list())


def get_connection(state: State, name: str) -> ConnectionRecord:
    return _with_tokens(state, [state.connections.get(name)])[0]


def create_connection(
    state: State, name: str, integration: str, *, now: datetime
) -> tuple[ConnectionRecord, TokenRecord, str]:
    """A new integration connection and its ingest token (whose full text is shown once).

    RequestError for a bad name or an unknown integration, ConflictError when the name is taken (a
    deleted connection's name can be used again; its counters start from zero)."""
    with state.transaction():
        state.connections.create(name, integration, now=now)
        record, token = state.tokens.create(
            [INGEST_SCOPE], now=now, name=f"connection {name}", connection=name
        )
    return get_connection(state, name), record, token


def delete_connection(state: State, name: str, *, now: datetime) -> ConnectionRecord:
    """Delete an integration connection and revoke its tokens; its stored events stay.

    NotFoundError for an unknown name; RequestError for a connection that no integration made (such as
    ``default``: revoke its tokens one by one)."""
    with state.transaction():
        record = get_connection(state, name)
        state.connections.delete(name, now=now)
        state.tokens.revoke_connection(name, now=now)
    return record
