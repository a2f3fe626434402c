from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from threatlake.cli import main
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
                "settings:read",
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
