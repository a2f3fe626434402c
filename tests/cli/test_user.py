"""``threatlake user``: an admin resets a password from the command line, also while the service runs."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import Server, start_server
from threatlake.cli import main
from threatlake.state import open_state
from threatlake.web.views.login import LOGIN_COOKIE
from threatlake.web.views.session import CSRF_FIELD


def _sign_in(server: Server, password: str) -> int:
    with httpx.Client(base_url=server.url) as browser:
        browser.get("/login")
        token = browser.cookies[LOGIN_COOKIE]
        answer = browser.post("/login", data={"username": "admin", "password": password, CSRF_FIELD: token})
        return answer.status_code


def test_passwd_while_the_service_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    server = start_server(data, "--no-samples", env={"THREATLAKE_ADMIN_PASSWORD": "first one"})
    try:
        assert _sign_in(server, "first one") == 303
        assert main(["user", "passwd", "admin", "--data-dir", str(data)]) == 0
        out, err = capsys.readouterr()
        generated = out.strip()
        assert len(generated) >= 20 and "\n" not in generated
        assert "password of 'admin' reset: shown once, keep it now; 1 browser session(s) ended" in err
        assert _sign_in(server, "first one") == 401
        assert _sign_in(server, generated) == 303

        monkeypatch.setattr("sys.stdin", io.StringIO("chosen by me\n"))
        assert main(["user", "passwd", "admin", "--stdin", "--data-dir", str(data)]) == 0
        out, err = capsys.readouterr()
        assert out == ""  # a password that was typed is not printed back
        assert _sign_in(server, "chosen by me") == 303
        assert _sign_in(server, generated) == 401

        assert main(["user", "list", "--data-dir", str(data)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "name\trole\tcreated" and lines[1].startswith("admin\tadmin\t")
    finally:
        assert server.stop() == 0


def test_unknown_user_and_empty_stdin_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["user", "passwd", "nobody", "--data-dir", str(tmp_path)]) == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
    state = open_state(tmp_path)
    try:
        state.users.create("admin", "kept", now=datetime.now(UTC), role="admin")
    finally:
        state.close()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "passwd", "admin", "--stdin", "--data-dir", str(tmp_path)]) == 2
    assert "no password on standard input" in capsys.readouterr().err
    state = open_state(tmp_path)
    try:
        assert state.users.verify("admin", "kept") is not None  # unchanged
    finally:
        state.close()
