"""Hostile and broken requests against a real server: each is refused with the right status, and the
store is unchanged afterwards."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.web.conftest import EXECUTE, INGEST, Server, sample_files
from threatlake.service.access import create_token
from threatlake.state import open_state

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def seeded(live: Server) -> Server:
    assert live.ingest(sample_files()[0].read_bytes()).status_code == 202
    return live


@pytest.fixture
def unchanged(seeded: Server) -> Iterator[Server]:
    before = seeded.count()
    yield seeded
    assert seeded.count() == before


def _token(server: Server, *scopes: str, revoke: bool = False) -> str:
    settings = open_state(server.data_dir)
    try:
        record, token = create_token(settings, list(scopes), now=datetime.now(UTC))
        if revoke:
            settings.tokens.revoke(record.id, now=datetime.now(UTC))
    finally:
        settings.close()
    return token


def _post(server: Server, body: bytes, *, token: str | None = None, **headers: str) -> tuple[int, str]:
    client = server.client(token if token is not None else server.ingest_token)
    response = client.post(INGEST, content=body, headers={"Content-Type": "application/json", **headers})
    return response.status_code, response.text


BODY = sample_files()[0].read_bytes()


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Api-Token", 401),
        ("Basic dXNlcjpwYXNz", 401),
        ("Api-Token tl0c01.nothere.secret", 401),
        ("Api-Token not-a-token", 401),
    ],
)
def test_bad_tokens_are_401(unchanged: Server, header: str | None, status: int) -> None:
    headers = {"Content-Type": "application/json"} | ({"Authorization": header} if header else {})
    response = unchanged.client().post(INGEST, content=BODY, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == status


def test_wrong_secret_revoked_and_wrong_scope(unchanged: Server) -> None:
    token = _token(unchanged, "openpipeline.events_security")
    assert _post(unchanged, BODY, token=token[:-2] + "xx")[0] == 401
    assert (
        _post(unchanged, BODY, token=_token(unchanged, "openpipeline.events_security", revoke=True))[0] == 401
    )
    assert _post(unchanged, BODY, token=_token(unchanged, "storage:security.events:read"))[0] == 403
    reader = unchanged.client(unchanged.ingest_token)
    assert reader.post(EXECUTE, json={"query": "fetch security.events"}).status_code == 403
    assert reader.get("/platform/tokens").status_code == 403


def test_revoked_while_serving(seeded: Server) -> None:
    token = _token(seeded, "openpipeline.events_security")
    assert _post(seeded, BODY, token=token)[0] == 202
    settings = open_state(seeded.data_dir)
    try:
        settings.tokens.revoke(token.split(".")[1], now=datetime.now(UTC))
    finally:
        settings.close()
    assert _post(seeded, BODY, token=token)[0] == 401


def test_limits(unchanged: Server) -> None:
    assert _post(unchanged, b"[" + b" " * (11 * MIB) + b"]")[0] == 413
    bomb = gzip.compress(b"[" + b" " * (100 * MIB) + b"]")
    assert len(bomb) < MIB
    status, text = _post(unchanged, bomb, **{"Content-Encoding": "gzip"})
    assert status == 413, text
    status, text = _post(unchanged, b"[" * 10_000 + b"]" * 10_000)
    assert status == 400 and "nested" in text
    status, text = _post(unchanged, b'{"a":' * 70 + b"1" + b"}" * 70)
    assert status == 400 and "deeper than 64" in text
    status, text = _post(unchanged, b'[{"detail": "\xff\xfe"}]')
    assert status == 400 and "UTF-8 at byte 13" in text
    status, text = _post(unchanged, b'[{"a": 1},\n {"b": ]')
    assert status == 400 and "byte 18" in text
    assert _post(unchanged, BODY, **{"Content-Type": "text/plain"})[0] == 415
    assert _post(unchanged, BODY, **{"Content-Encoding": "br"})[0] == 415
    assert _post(unchanged, b"")[0] == 400
    assert _post(unchanged, b"not gzip", **{"Content-Encoding": "gzip"})[0] == 400


@pytest.mark.parametrize(
    "query",
    [
        'fetch security.events | filter event.type == "x\\"; DROP TABLE events; --"',
        "fetch security.events | filter `event.type'; DROP TABLE events; --` == 1",
        'fetch security.events | fields `a"b`, `x``y`',
        "fetch security.events; DROP TABLE events",
        'fetch security.events | filter matchesPhrase(finding.title, "\'); DELETE FROM events; --")',
        "fetch events'; DROP TABLE events; --",
        "fetch security.events\n| filtr x",
        "",
        "fetch security.events | limit 99999999999999999999999",
    ],
)
def test_dql_injection_is_harmless(unchanged: Server, query: str) -> None:
    response = unchanged.client(unchanged.admin_token).post(
        EXECUTE, json={"query": query, "defaultTimeframeStart": "2000-01-01T00:00:00Z"}
    )
    assert response.status_code in (202, 400), response.text
    if response.status_code == 400:
        assert "Traceback" not in response.text
        assert response.json()["error"]["code"] == 400
