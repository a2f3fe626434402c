"""Triage: bulk status changes with an audit history, comments, accepted risks that expire; rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.state.conftest import NOW
from threatlake.errors import NotFoundError, RequestError
from threatlake.state import State


def test_bulk_set_writes_history(state: State) -> None:
    assert state.triage.get("f1").status == "NEW" and state.triage.get_many(["f1"]) == {}
    records = state.triage.set(["f1", "f2", "f1"], who="ann", now=NOW, status="IN_PROGRESS", assignee="bob")
    assert [(r.finding_id, r.status, r.assignee) for r in records] == [
        ("f1", "IN_PROGRESS", "bob"),
        ("f2", "IN_PROGRESS", "bob"),
    ]
    later = NOW + timedelta(hours=1)
    state.triage.set(["f1"], who="bob", now=later, status="RESOLVED", comment="patched")
    history = [(h.who, h.field, h.old, h.new, h.comment) for h in state.triage.history("f1")]
    assert history == [
        ("ann", "status", "NEW", "IN_PROGRESS", ""),
        ("ann", "assignee", None, "bob", ""),
        ("bob", "status", "IN_PROGRESS", "RESOLVED", "patched"),
    ]
    state.triage.set(["f2"], who="ann", now=later, assignee="")
    assert state.triage.get("f2").assignee is None and state.triage.history("f2")[-1].new is None
    assert set(state.triage.get_many(["f1", "f2", "f3"])) == {"f1", "f2"}
    assert [r.finding_id for r in state.triage.find(status="IN_PROGRESS")] == ["f2"]


def test_accepted_risk_expires(state: State) -> None:
    (record,) = state.triage.set(
        ["f9"], who="ann", now=NOW, status="RISK_ACCEPTED", expires=NOW + timedelta(days=30)
    )
    assert record.effective(NOW + timedelta(days=29)) == "RISK_ACCEPTED"
    assert record.effective(NOW + timedelta(days=30)) == "NEW"
    with pytest.raises(RequestError, match="only RISK_ACCEPTED"):
        state.triage.set(["f9"], who="ann", now=NOW, status="RESOLVED", expires=NOW)


@pytest.mark.parametrize(
    ("ids", "options"),
    [([], {"status": "NEW"}), (["f"], {"status": "DONE"}), (["f"], {}), ([""], {"status": "NEW"})],
)
def test_bad_changes(state: State, ids: list[str], options: dict[str, str]) -> None:
    with pytest.raises(RequestError):
        state.triage.set(ids, who="ann", now=NOW, **options)  # type: ignore[arg-type]
    assert state.triage.find() == []


def test_comments(state: State) -> None:
    state.triage.comment("f1", who="ann", now=NOW, text="looking")
    state.triage.comment("f1", who="bob", now=NOW + timedelta(seconds=1), text="false alarm")
    assert [(c.author, c.text) for c in state.triage.comments("f1")] == [
        ("ann", "looking"),
        ("bob", "false alarm"),
    ]
    with pytest.raises(RequestError):
        state.triage.comment("f1", who="ann", now=NOW, text=" ")


def test_suppression_rules(state: State) -> None:
    rule = state.suppressions.create(
        "scanner", 'finding.type == "Recon:EC2/PortProbeUnprotectedPort"', who="ann", now=NOW, reason="lab"
    )
    assert rule.status == "SUPPRESSED" and rule.active(NOW)
    assert state.suppressions.list() == [rule]
    assert not state.suppressions.set_enabled(rule.id, False).active(NOW)
    state.suppressions.delete(rule.id)
    with pytest.raises(NotFoundError):
        state.suppressions.get(rule.id)
    with pytest.raises(RequestError):
        state.suppressions.create("x", "a == 1", who="ann", now=NOW, status="RESOLVED")
