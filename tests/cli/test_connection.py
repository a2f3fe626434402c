"""``threatlake connection create|list|delete``: the token, the filled-in AWS commands, the counters."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.deploy.cfn import load
from threatlake.aws.setup import SECRET_KEY_NAME
from threatlake.cli import main
from threatlake.service import access
from threatlake.service.access import create_token
from threatlake.state import State, open_state

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "forwarder.yaml"


def create(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["connection", "create", "--data-dir", str(tmp_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def words(out: str, program: str) -> list[str]:
    line = next(line for line in out.splitlines() if program in line)
    return shlex.split(line)


def overrides(out: str) -> dict[str, str]:
    deploy = words(out, "aws cloudformation deploy")
    start = deploy.index("--parameter-overrides") + 1
    return dict(item.split("=", 1) for item in deploy[start:])


def test_create_prints_the_token_once_and_filled_in_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = create(
        tmp_path, capsys, "amazon-guardduty", "--name", "prod-gd", "--region", "eu-west-1"
    )
    assert code == 0
    token = next(line.split()[-1] for line in out.splitlines() if "shown this once" in line)
    settings = open_state(tmp_path)
    try:
        found = settings.tokens.authenticate(token, now=datetime.now(UTC))
        assert found is not None
        assert (found.connection, found.scopes) == ("prod-gd", ("openpipeline.events_security",))
    finally:
        settings.close()
    secret = words(out, "aws secretsmanager create-secret")
    assert secret[secret.index("--name") + 1] == "threatlake/prod-gd"
    assert json.loads(secret[secret.index("--secret-string") + 1]) == {SECRET_KEY_NAME: token}
    assert secret[secret.index("--region") + 1] == "eu-west-1"
    assert secret[-4:] == ["--query", "ARN", "--output", "text)"]
    assert out.count("SECRET_ARN=$(aws secretsmanager create-secret") == 1
    package = words(out, "aws cloudformation package")
    assert package[package.index("--template-file") + 1] == "deploy/forwarder.yaml"
    params = overrides(out)
    assert params["IngestUrl"] == "http://127.0.0.1:8080/platform/ingest/v1/security.events"
    assert params["SecretArn"] == "$SECRET_ARN"
    assert (params["ForwardGuardDuty"], params["ForwardSecurityHub"]) == ("true", "false")
    assert "https://" in err  # the template refuses an http:// IngestUrl: said before deploying


def test_every_override_is_a_template_parameter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = create(
        tmp_path, capsys, "aws-security-hub", "--name", "hub", "--endpoint", "https://tl.example.com/"
    )
    assert code == 0 and err == ""
    params = overrides(out)
    parameters = load(TEMPLATE)["Parameters"]
    assert set(params) <= set(parameters)
    assert {name for name, spec in parameters.items() if "Default" not in spec} <= set(params)
    assert params["IngestUrl"] == "https://tl.example.com/platform/ingest/v1/security.events"
    assert (params["ForwardGuardDuty"], params["ForwardSecurityHub"]) == ("false", "true")
    assert "--region" not in out


def test_list_shows_counters_and_delete_revokes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert create(tmp_path, capsys, "amazon-guardduty", "--name", "gd")[0] == 0
    settings: State = open_state(tmp_path)
    try:
        (record,) = access.list_connections(settings)
        seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        settings.connections.record_received({"gd": (7, seen), "unknown": (3, seen)})
        assert main(["connection", "list", "--data-dir", str(tmp_path)]) == 0
        header, row = capsys.readouterr().out.strip().splitlines()
        assert re.split(r"\s{2,}", header) == [
            "name",
            "integration",
            "created",
            "token id",
            "events received",
            "last seen",
        ]
        assert row.split() == [
            "gd",
            "amazon-guardduty",
            record.created,
            record.tokens[0],
            "7",
            "2026-01-02T03:04:05Z",
        ]
        assert main(["connection", "delete", "--data-dir", str(tmp_path), "gd"]) == 0
        assert record.tokens[0] in capsys.readouterr().out
        assert settings.tokens.get(record.tokens[0]).revoked is not None
        assert access.list_connections(settings) == []
        assert main(["connection", "delete", "--data-dir", str(tmp_path), "gd"]) == 2
        assert "no connection" in capsys.readouterr().err
        # the name can be used again, with fresh counters
        assert create(tmp_path, capsys, "aws-security-hub", "--name", "gd")[0] == 0
        (again,) = access.list_connections(settings)
        assert (again.integration, again.events_received, again.last_seen) == ("aws-security-hub", 0, None)
    finally:
        settings.close()


def test_duplicate_and_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert create(tmp_path, capsys, "amazon-guardduty", "--name", "gd")[0] == 0
    code, _, err = create(tmp_path, capsys, "aws-security-hub", "--name", "gd")
    assert code == 2 and "exists" in err
    for args in (
        ["--name", "bad name"],
        ["--name", "ok", "--region", "mars-1"],
        ["--name", "ok", "--endpoint", "ftp://x"],
        ["--name", "ok", "--endpoint", "https://x/'$(reboot)'"],
    ):
        code, out, _ = create(tmp_path, capsys, "amazon-guardduty", *args)
        assert code == 2 and out == "", args
    with pytest.raises(SystemExit) as exited:
        main(["connection", "create", "--data-dir", str(tmp_path), "custom", "--name", "x"])
    assert exited.value.code == 2


def test_every_connection_can_be_deleted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``default`` and a connection ``--connection`` made are deleted like an integration's: their ingest
    tokens are revoked, a token that does not ingest (and so belongs to no connection) keeps working."""
    data = str(tmp_path)
    now = datetime.now(UTC)
    settings = open_state(tmp_path)
    ingest, ingest_text = create_token(settings, ["openpipeline.events_security"], now=now)
    _, reader_text = create_token(settings, ["storage:security.events:read"], now=now)
    settings.close()
    assert main(["token", "create", "--data-dir", data, "--scope", "openpipeline.events_security",
                 "--connection", "lab"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["connection", "list", "--data-dir", data]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:3] == ["name", "integration", "created"]
    default_row = next(line for line in listed if line.startswith("default "))
    assert ingest.id in default_row and len(default_row.split()[3].split(",")) == 1  # the reader is not
    for name in ("lab", "default"):
        assert main(["connection", "delete", "--data-dir", data, name]) == 0
        assert f"connection {name!r} deleted" in capsys.readouterr().out
    settings = open_state(tmp_path)
    try:
        assert access.list_connections(settings) == []
        assert settings.tokens.authenticate(ingest_text, now=now) is None
        assert settings.tokens.authenticate(reader_text, now=now) is not None
        # a new ingest token for a deleted name brings the connection back, counters from zero
        create_token(settings, ["openpipeline.events_security"], now=now, connection="lab")
        assert [c.name for c in access.list_connections(settings)] == ["lab"]
        # a reader token does not bring 'default' back
        create_token(settings, ["settings:read"], now=now)
        assert [c.name for c in access.list_connections(settings)] == ["lab"]
    finally:
        settings.close()


def test_a_token_that_does_not_ingest_names_no_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["token", "create", "--data-dir", str(tmp_path), "--scope", "settings:read",
                 "--connection", "acct-1"])  # fmt: skip
    assert code == 2 and "only a token with an ingest scope" in capsys.readouterr().err
    settings = open_state(tmp_path)
    try:
        assert settings.tokens.list() == [] and access.list_connections(settings) == []
    finally:
        settings.close()


def test_an_older_settings_file_gains_the_counter_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "settings.sqlite"
    old = sqlite3.connect(path)
    old.execute("create table connections (name text primary key, integration text not null, created text)")
    old.execute("insert into connections values ('default', 'custom', '2025-01-01T00:00:00Z')")
    old.commit()
    old.close()
    settings = open_state(tmp_path)
    try:
        (record,) = access.list_connections(settings)
        assert (record.name, record.events_received, record.last_seen) == ("default", 0, None)
    finally:
        settings.close()
