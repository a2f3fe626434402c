"""Triage through its one path: the state changes and the store's mirror follows, so DQL reads it
(``fetch security.triage``); suppression rules give their status to matching findings as they arrive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tests.web.fakes import AppClient
from threatlake.cli import main
from threatlake.config import Config
from threatlake.errors import StoreError
from threatlake.samples import sample_files
from threatlake.service import triage
from threatlake.service.access import create_token
from threatlake.service.query import QueryRequest, run_query
from threatlake.state import State, memory_state, open_state
from threatlake.store import Store, open_store
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.protocol import TriageRow
from threatlake.web import create_app

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CONDITION = 'event.provider == "Amazon GuardDuty" and dt.security.risk.level == "LOW"'
INGEST = "/platform/ingest/v1/security.events"


def _dql(store: Store, text: str, now: datetime = NOW) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = run_query(store, QueryRequest(text, now))["records"]
    return records


def test_a_change_is_readable_in_dql() -> None:
    state, store = memory_state(), DuckDBStore(":memory:")
    triage.set_triage(state, store, ["f-1", "f-2"], who="alice", now=NOW, status="IN_PROGRESS")
    triage.set_triage(state, store, ["f-2"], who="bob", now=NOW, assignee="carol")
    rows = _dql(store, "fetch security.triage\n| sort finding.id")
    assert [(r["finding.id"], r["triage.status"], r["triage.assignee"]) for r in rows] == [
        ("f-1", "IN_PROGRESS", None),
        ("f-2", "IN_PROGRESS", "carol"),
    ]
    assert rows[1]["triage.modified_by"] == "bob"
    counted = _dql(store, "fetch security.triage\n| summarize n = count(), by:{triage.status}")
    assert counted == [{"triage.status": "IN_PROGRESS", "n": "2"}]  # longs are strings, as the platform's
    store.close()


def test_an_accepted_risk_reads_new_after_its_expiry() -> None:
    state, store = memory_state(), DuckDBStore(":memory:")
    expires = NOW + timedelta(days=1)
    triage.set_triage(state, store, ["f-1"], who="a", now=NOW, status="RISK_ACCEPTED", expires=expires)
    assert _dql(store, "fetch security.triage")[0]["triage.status"] == "RISK_ACCEPTED"
    later = _dql(store, "fetch security.triage", now=NOW + timedelta(days=2))
    assert later[0]["triage.status"] == "NEW"
    store.close()


def test_sync_rebuilds_the_mirror_from_the_state() -> None:
    state, store = memory_state(), DuckDBStore(":memory:")
    state.triage.set(["f-1"], who="a", now=NOW, status="RESOLVED")  # behind the service's back
    store.put_triage([TriageRow("gone", "SUPPRESSED")])
    assert triage.sync(state, store) == 1
    assert [r["finding.id"] for r in _dql(store, "fetch security.triage")] == ["f-1"]
    store.close()


class _FailingOnce:
    """A real store whose next triage mirror write fails."""

    def __init__(self, inner: DuckDBStore) -> None:
        self.inner = inner
        self.fail = True

    def put_triage(self, rows: Sequence[TriageRow], *, replace: bool = False) -> None:
        if self.fail:
            self.fail = False
            raise StoreError("disk full", retryable=True)
        self.inner.put_triage(rows, replace=replace)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_missed_mirror_write_is_caught_up_by_the_next_change() -> None:
    state, inner = memory_state(), DuckDBStore(":memory:")
    store: Any = _FailingOnce(inner)
    triage.set_triage(state, store, ["f-1"], who="a", now=NOW, status="RESOLVED")  # logged, not raised
    assert state.triage.get("f-1").status == "RESOLVED"
    assert _dql(inner, "fetch security.triage") == []
    triage.set_triage(state, store, ["f-2"], who="a", now=NOW, status="SUPPRESSED")
    assert sorted(r["finding.id"] for r in _dql(inner, "fetch security.triage")) == ["f-1", "f-2"]
    inner.close()


def test_bulk_counts_matched_and_changed() -> None:
    state, store = memory_state(), DuckDBStore(":memory:")
    triage.set_triage(state, store, ["f-1"], who="a", now=NOW, status="RESOLVED")
    done = triage.bulk_set(state, store, ["f-1", "f-2", "f-2"], status="RESOLVED", who="b", now=NOW)
    assert done.as_dict() == {"matched": 2, "changed": 1, "failed": 0}
    assert [entry.who for entry in state.triage.history("f-1")] == ["a"]  # not rewritten
    store.close()


def _expected(store: Store) -> set[str]:
    table = store.execute(
        'select distinct "finding.id" from events where "event.provider" = \'Amazon GuardDuty\''
        " and \"dt.security.risk.level\" = 'LOW'"
    )
    return {str(value) for value in table.column(0).to_pylist()}


def _rule(state: State, status: str = "FALSE_POSITIVE") -> None:
    state.suppressions.create("low gd", CONDITION, who="admin", now=datetime.now(UTC), status=status)


def test_a_rule_applies_to_findings_ingested_later_by_the_cli(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    _rule(state)
    state.close()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for index, (_, data) in enumerate(sample_files()):
        (inputs / f"{index:03}.json").write_bytes(data)
    assert main(["ingest", "--data-dir", str(tmp_path), str(inputs)]) == 0

    store, state = open_store(tmp_path), open_state(tmp_path)
    try:
        expected = _expected(store)
        assert expected
        suppressed = {record.finding_id for record in state.triage.find(status="FALSE_POSITIVE")}
        assert suppressed == expected
        record = state.triage.history(sorted(expected)[0])[0]
        assert (record.who, record.new, record.comment) == (
            "rule:low gd",
            "FALSE_POSITIVE",
            "suppression rule low gd",
        )
        mirrored = _dql(store, 'fetch security.triage\n| filter triage.status == "FALSE_POSITIVE"')
        assert {row["finding.id"] for row in mirrored} == expected
    finally:
        store.close()
        state.close()


def test_a_rule_applies_to_http_ingest_and_leaves_a_set_status_alone(tmp_path: Path) -> None:
    store, state = open_store(tmp_path), open_state(tmp_path)
    files = [data for _, data in sample_files()]
    findings = [finding for data in files for finding in _findings(data)]
    gd_low = next(
        f
        for f in findings
        if "Service" in f and 0 < float(f.get("Severity", 0)) < 4  # GuardDuty, LOW
    )
    state.triage.set([str(gd_low["Id"])], who="alice", now=datetime.now(UTC), status="IN_PROGRESS")
    _rule(state, "SUPPRESSED")
    _, token = create_token(state, ["openpipeline.events_security"], now=datetime.now(UTC))
    headers = {"Authorization": f"Api-Token {token}", "Content-Type": "application/json"}
    try:
        with AppClient(create_app(Config(data_dir=tmp_path), store, state)) as app:
            for data in files:
                assert app.post(INGEST, content=data, headers=headers).status_code == 202
        expected = _expected(store)
        assert str(gd_low["Id"]) in expected
        suppressed = {record.finding_id for record in state.triage.find(status="SUPPRESSED")}
        assert suppressed == expected - {str(gd_low["Id"])}
        assert state.triage.get(str(gd_low["Id"])).status == "IN_PROGRESS"
    finally:
        store.close()
        state.close()


def _findings(data: bytes) -> list[dict[str, Any]]:
    value = orjson.loads(data)
    items = value if isinstance(value, list) else [value]
    return [item.get("detail", item) for item in items if isinstance(item, dict)]


def test_an_expired_or_disabled_rule_does_nothing() -> None:
    state, store, status = memory_state(), DuckDBStore(":memory:"), "SUPPRESSED"
    rule = state.suppressions.create("x", CONDITION, who="a", now=NOW - timedelta(days=3), status=status,
                                     expires=NOW - timedelta(days=1))  # fmt: skip
    event = {"event.id": "e-1", "finding.id": "f-1", "event.provider": "Amazon GuardDuty",
             "dt.security.risk.level": "LOW", "timestamp": "2026-06-01T11:00:00.000000000Z"}  # fmt: skip
    store.write([event])
    assert triage.suppress_new(state, store, [event], NOW) == 0
    state.suppressions.set_enabled(rule.id, False)
    live = state.suppressions.create("y", CONDITION, who="a", now=NOW, status=status)
    assert triage.suppress_new(state, store, [event], NOW) == 1
    assert state.triage.get("f-1").status == status
    assert live.active(NOW)
    store.close()
