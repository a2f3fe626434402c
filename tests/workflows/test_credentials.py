"""The state's encrypted credentials as the engine's port: by name, the only one as default, fields mapped."""

from __future__ import annotations

from datetime import UTC, datetime

from threatlake.state.credentials import MemoryCredentials
from threatlake.workflows.credentials import StateCredentials

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_resolve_by_name_and_fall_back_to_the_only_one() -> None:
    repository = MemoryCredentials()
    repository.create(
        "jira-prod", "jira", {"url": "https://j", "email": "a@b", "apiToken": "t0ps3cret"}, now=NOW
    )
    port = StateCredentials(repository)
    found = port.resolve("jira-prod", "jira")
    assert found is not None and found.fields == {"url": "https://j", "user": "a@b", "token": "t0ps3cret"}
    fallback = port.resolve("old-name", "jira")
    assert fallback is not None and fallback.name == "jira-prod"
    assert port.resolve(None, "slack") is None
    repository.create("jira-test", "jira", {"url": "https://k", "email": "a@b", "apiToken": "u"}, now=NOW)
    assert port.resolve("old-name", "jira") is None  # two: no default to choose
    assert "t0ps3cret" not in repr(port.resolve("jira-prod", "jira"))  # secrets stay out of reprs and logs
