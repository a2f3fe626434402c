"""Action credentials: typed, encrypted at rest, secrets only through ``decrypt``."""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.state.conftest import NOW
from threatlake.errors import ConfigError, ConflictError, NotFoundError, RequestError, StoreError
from threatlake.state import State, open_state
from threatlake.state.credentials import KEY_FILE

JIRA = {"url": "https://jira.example.com", "email": "sec@example.com", "apiToken": "jira-SECRET-123"}


def test_create_list_decrypt(state: State) -> None:
    record = state.credentials.create("jira-prod", "jira", JIRA, now=NOW)
    assert record.fields == ("apiToken", "email", "url")
    assert "jira-SECRET-123" not in repr(state.credentials.list()) + repr(state.credentials.get("jira-prod"))
    assert "jira-SECRET-123" not in str(record.as_dict())
    assert state.credentials.decrypt("jira-prod") == JIRA
    with pytest.raises(ConflictError):
        state.credentials.create("jira-prod", "jira", JIRA, now=NOW)
    state.credentials.replace("jira-prod", {**JIRA, "apiToken": "rotated"}, now=NOW)
    assert state.credentials.decrypt("jira-prod")["apiToken"] == "rotated"
    state.credentials.delete("jira-prod")
    with pytest.raises(NotFoundError):
        state.credentials.decrypt("jira-prod")


@pytest.mark.parametrize(
    ("kind", "secret", "match"),
    [
        ("pager", {"url": "x"}, "unknown credential type"),
        ("slack", {}, "missing webhookUrl"),
        ("smtp", {"host": "h", "port": "25", "sender": "a@b", "bogus": "x"}, "unknown field 'bogus'"),
        ("http", {"url": 5}, "must be a string"),
    ],
)
def test_types_are_checked(state: State, kind: str, secret: dict[str, object], match: str) -> None:
    with pytest.raises(RequestError, match=match):
        state.credentials.create("c", kind, secret, now=NOW)  # type: ignore[arg-type]


def test_encrypted_at_rest_with_a_private_key_file(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    assert not (tmp_path / KEY_FILE).exists()  # made when the first secret is kept
    state.credentials.create("hook", "msteams", {"webhookUrl": "https://teams.example/SECRET-HOOK"}, now=NOW)
    state.close()
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    for name in ("settings.sqlite", "settings.sqlite-wal"):
        path = tmp_path / name
        assert not path.exists() or b"SECRET-HOOK" not in path.read_bytes()
    again = open_state(tmp_path)
    assert again.credentials.decrypt("hook")["webhookUrl"].endswith("SECRET-HOOK")
    again.close()


def test_a_moved_ciphertext_does_not_decrypt(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    state.credentials.create("a", "http", {"url": "https://a.example"}, now=NOW)
    state.credentials.create("b", "http", {"url": "https://b.example"}, now=NOW)
    state.close()
    with sqlite3.connect(tmp_path / "settings.sqlite") as conn:
        conn.execute("update credentials set secret = (select secret from credentials where name = 'a')"
                     " where name = 'b'")  # fmt: skip
    state = open_state(tmp_path)
    with pytest.raises(StoreError, match="does not decrypt"):
        state.credentials.decrypt("b")
    state.close()


def test_key_from_the_setting(tmp_path: Path) -> None:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    state = open_state(tmp_path, credentials_key=key)
    state.credentials.create("a", "http", {"url": "https://a.example"}, now=NOW)
    state.close()
    assert not (tmp_path / KEY_FILE).exists()
    other = open_state(tmp_path, credentials_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(StoreError):
        other.credentials.decrypt("a")
    other.close()
    short = open_state(tmp_path, credentials_key="c2hvcnQ=")
    with pytest.raises(ConfigError, match="32 bytes"):
        short.credentials.create("x", "http", {"url": "u"}, now=NOW)
    short.close()
