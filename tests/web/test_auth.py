"""Tokens in the settings database: format, hashing, constant-time check, revocation, scopes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.web.fakes import AppClient, GatedStore
from threatlake.config import Config
from threatlake.errors import AuthError, NotFoundError, RequestError
from threatlake.service.access import create_token
from threatlake.state import FILE_NAME, State, open_state
from threatlake.web import create_app
from threatlake.web.principal import token_text

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> State:
    return open_state(tmp_path)


def test_only_a_salted_hash_is_stored(settings: State, tmp_path: Path) -> None:
    record, token = create_token(settings, ["settings:read"], now=NOW, name="ci")
    prefix, public_id, secret = token.split(".")
    assert (prefix, public_id) == ("tl0c01", record.id) and len(secret) >= 43
    settings.close()
    assert secret.encode() not in (tmp_path / FILE_NAME).read_bytes()
    wal = tmp_path / f"{FILE_NAME}-wal"
    assert not wal.exists() or secret.encode() not in wal.read_bytes()


def test_authenticate(settings: State) -> None:
    record, token = create_token(settings, ["openpipeline.events_security"], now=NOW, connection="prod")
    found = settings.tokens.authenticate(token, now=NOW)
    assert found is not None and (found.id, found.connection, found.scopes) == (
        record.id,
        "prod",
        ("openpipeline.events_security",),
    )
    assert found.last_used == "2026-01-02T03:04:05Z"
    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "tl0c01..x",
        "tl0c02" + token[6:],
        "",
        "x" * 500,
    ):
        assert settings.tokens.authenticate(bad, now=NOW) is None
    other_id = create_token(settings, ["settings:read"], now=NOW)[1].split(".")[1]
    assert settings.tokens.authenticate(f"tl0c01.{other_id}.{token.split('.')[2]}", now=NOW) is None


def test_revoke(settings: State) -> None:
    record, token = create_token(settings, ["settings:read"], now=NOW)
    assert settings.tokens.revoke(record.id, now=NOW).revoked == "2026-01-02T03:04:05Z"
    assert settings.tokens.authenticate(token, now=NOW) is None
    with pytest.raises(NotFoundError):
        settings.tokens.revoke("nope", now=NOW)


def test_unknown_scope_and_users(settings: State) -> None:
    with pytest.raises(RequestError, match="unknown or missing scope"):
        create_token(settings, ["admin"], now=NOW)
    with pytest.raises(RequestError):
        create_token(settings, [], now=NOW)
    settings.users.create("admin", "s3cret", now=NOW, role="admin")
    assert settings.users.verify("admin", "s3cret") and not settings.users.verify("admin", "wrong")
    assert not settings.users.verify("nobody", "s3cret")


def test_two_processes_share_the_file(tmp_path: Path) -> None:
    one, two = open_state(tmp_path), open_state(tmp_path)
    _, token = create_token(one, ["settings:read"], now=NOW)
    assert two.tokens.authenticate(token, now=NOW) is not None


@pytest.mark.parametrize(
    ("header", "token"), [("Api-Token abc", "abc"), ("Bearer  abc ", "abc"), ("api-token abc", "abc")]
)
def test_header_schemes(header: str, token: str) -> None:
    assert token_text(header) == token


@pytest.mark.parametrize("header", [None, "", "Api-Token", "Basic abc", "abc"])
def test_bad_headers(header: str | None) -> None:
    with pytest.raises(AuthError):
        token_text(header)


def test_scopes_over_http(settings: State) -> None:
    _, reader = create_token(settings, ["settings:read"], now=NOW)
    _, writer = create_token(settings, ["settings:write"], now=NOW)
    store = GatedStore()
    store.gate.set()
    with AppClient(create_app(Config(), store, settings)) as client:
        assert (
            client.get("/platform/tokens", headers={"Authorization": f"Api-Token {reader}"}).status_code
            == 200
        )
        assert (
            client.get("/platform/tokens", headers={"Authorization": f"Bearer {writer}"}).status_code == 403
        )
        created = client.post(
            "/platform/tokens",
            json={"scopes": ["openpipeline.events_security"], "name": "fw", "connection": "acct-1"},
            headers={"Authorization": f"Bearer {writer}"},
        )
        assert created.status_code == 201
        new = created.json()
        assert new["token"].startswith(f"tl0c01.{new['id']}.") and new["connection"] == "acct-1"
        listed = client.get("/platform/tokens", headers={"Authorization": f"Api-Token {reader}"}).json()
        assert new["id"] in {token["id"] for token in listed["tokens"]}
        assert all("token" not in token for token in listed["tokens"])
        gone = client.delete(f"/platform/tokens/{new['id']}", headers={"Authorization": f"Bearer {writer}"})
        assert gone.status_code == 200 and gone.json()["revoked"]
        missing = client.delete("/platform/tokens/nope", headers={"Authorization": f"Bearer {writer}"})
        assert missing.status_code == 404
        assert client.get("/platform/tokens").status_code == 401
