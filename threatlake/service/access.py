"""Tokens and connections: the operations that span both repositories (one transaction each).

Used alike by the API (``/platform/tokens``, ``/platform/connections``), the command line
(``threatlake token``, ``threatlake connection``) and the first start of the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from threatlake.errors import RequestError
from threatlake.state import State
from threatlake.state.connections import ConnectionRecord
from threatlake.state.tokens import DEFAULT_CONNECTION, INGEST_SCOPE, INGEST_SCOPES, TokenRecord

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
    """A new token and its full text, shown once. A token that ingests belongs to ``connection`` (made, or
    brought back when deleted); any other token belongs to none, so naming one for it is a RequestError."""
    ingests = any(scope in INGEST_SCOPES for scope in scopes)
    if not ingests and connection != DEFAULT_CONNECTION:
        raise RequestError(
            f"only a token with an ingest scope ({', '.join(INGEST_SCOPES)}) belongs to a connection;"
            f" drop the connection {connection!r} or add an ingest scope",
            {"field": "connection"},
        )
    with state.transaction():
        state.connections.ensure(connection, now=now, revive=ingests)
        return state.tokens.create(scopes, now=now, name=name, connection=connection, expires=expires)


def _with_tokens(
    state: State, records: list[ConnectionRecord], now: datetime | None = None
) -> list[ConnectionRecord]:
    live: dict[str, list[str]] = {}
    for token in state.tokens.list():
        if token.owner is not None and token.revoked is None and (now is None or token.live(now)):
            live.setdefault(token.owner, []).append(token.id)
    return [replace(record, tokens=tuple(live.get(record.name, ()))) for record in records]


def list_connections(state: State, now: datetime | None = None) -> list[ConnectionRecord]:
    """Live connections by name, with their live ingest token ids (not expired at ``now``) and counters."""
    return _with_tokens(state, state.connections.list(), now)


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
    """Delete a connection (any: an integration's, ``default``, one a ``--connection`` made) and revoke its
    ingest tokens; its stored events stay. NotFoundError for an unknown name."""
    with state.transaction():
        record = get_connection(state, name)
        state.connections.delete(name, now=now)
        state.tokens.revoke_connection(name, now=now)
    return record
