from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from threatlake.cli import main
from threatlake.service.access import create_token
from threatlake.state import open_state


def test_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path)
    assert (
        main(
            [
                "token",
                "create",
                "--data-dir",
                data,
                "--scope",
                "openpipeline.events_security",
                "--name",
                "ci",
                "--connection",
                "acct-1",
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    public_id = token.split(".")[1]
    settings = open_state(tmp_path)
    found = settings.tokens.authenticate(token, now=datetime.now(UTC))
    assert found is not None and (found.name, found.connection) == ("ci", "acct-1")
    assert main(["token", "list", "--data-dir", data]) == 0
    listed = capsys.readouterr().out
    assert public_id in listed and token.split(".")[2] not in listed
    assert main(["token", "revoke", "--data-dir", data, public_id]) == 0
    assert settings.tokens.authenticate(token, now=datetime.now(UTC)) is None
    assert main(["token", "revoke", "--data-dir", data, "nope"]) == 2
    settings.close()


def test_unknown_scope_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "create", "--data-dir", str(tmp_path), "--scope", "root"])
    assert exited.value.code == 2


def test_list_hides_revoked_and_expired_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Temporary tokens (revoked when their command ends, or expired) do not pile up in ``token list``; a
    token that does not ingest shows no connection."""
    now = datetime.now(UTC)
    settings = open_state(tmp_path)
    try:
        kept, _ = create_token(settings, ["storage:security.events:read"], now=now, name="grafana")
        for number in range(3):
            temporary, _ = create_token(
                settings, ["settings:read"], now=now, name=f"cli (temporary) {number}"
            )
            settings.tokens.revoke(temporary.id, now=now)
        expired, _ = create_token(
            settings, ["openpipeline.events_security"], now=now - timedelta(hours=2), name="old",
            expires=now - timedelta(hours=1),
        )  # fmt: skip
    finally:
        settings.close()
    assert main(["token", "list", "--data-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["id", "name", "connection"]
    assert len(rows) == 1 and rows[0].split()[:3] == [kept.id, "grafana", "-"]
    assert "4 revoked or expired not shown" in err
    assert main(["token", "list", "--data-dir", str(tmp_path), "--all"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 5
    assert next(row for row in rows if row.startswith(expired.id)).split()[2] == "default"
