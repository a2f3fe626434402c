"""The mapping stage: shared fields, version time, clamping, and no good finding lost to a bad one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tests.sources.test_guardduty import pascal
from threatlake.pipeline.mapping import IngestContext, map_bytes, map_documents

FINDINGS = Path(__file__).parents[1] / "fixtures" / "findings"

RECEIVED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CTX = IngestContext(received_at=RECEIVED, source="/platform/ingest/v1/security.events", connection="prod")


def _asff(finding_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
        "GeneratorId": "security-control/S3.1",
        "AwsAccountId": "123456789012",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-05-01T00:00:00.000Z",
        "UpdatedAt": "2026-05-02T00:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": "S3 general purpose buckets should have block public access settings enabled",
        "Description": "d",
        "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:123456789012"}],
        **extra,
    }


def _eventbridge(findings: list[dict[str, Any]], time: str = "2026-05-03T00:00:00Z") -> dict[str, Any]:
    return {
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "time": time,
        "region": "eu-west-1",
        "account": "123456789012",
        "detail": {"findings": findings},
    }


def test_shared_fields_are_set_once_for_every_event() -> None:
    batch = map_documents([_asff("a")], CTX)
    (event,) = batch.events
    assert event["event.kind"] == "SECURITY_EVENT"
    assert event["cloud.provider"] == "aws"
    assert event["dt.system.bucket"] == "default_securityevents"
    assert event["dt.openpipeline.source"] == "/platform/ingest/v1/security.events"
    assert event["dt.ingest.connection"] == "prod"
    assert event["dt.ingest.time"] == "2026-06-01T12:00:00.000000000Z"
    assert orjson.loads(event["dt.raw_data"]) == _asff("a")
    assert len(event["event.id"]) == 32
    assert all(value not in ("", None, []) for value in event.values())


def test_version_time_prefers_updated_then_envelope_then_receive() -> None:
    updated = map_documents([_eventbridge([_asff("a")])], CTX).events[0]
    assert updated["timestamp"] == "2026-05-02T00:00:00.000000000Z"
    no_updated = {key: value for key, value in _asff("b").items() if key != "UpdatedAt"}
    from_envelope = map_documents([_eventbridge([no_updated])], CTX).events[0]
    assert from_envelope["timestamp"] == "2026-05-03T00:00:00.000000000Z"
    bare = map_documents([no_updated], CTX).events[0]
    assert bare["timestamp"] == "2026-06-01T12:00:00.000000000Z"


def test_future_times_are_clamped_to_receive_plus_ten_minutes() -> None:
    future = _asff("a", UpdatedAt=(RECEIVED + timedelta(days=3)).isoformat())
    near = _asff("b", UpdatedAt=(RECEIVED + timedelta(minutes=9)).isoformat())
    events = {e["finding.id"]: e["timestamp"] for e in map_documents([future, near], CTX).events}
    assert events == {"a": "2026-06-01T12:10:00.000000000Z", "b": "2026-06-01T12:09:00.000000000Z"}


def test_same_version_twice_gives_the_same_id_and_a_new_version_a_new_one() -> None:
    first = map_documents([_asff("a")], CTX).events[0]["event.id"]
    again = map_documents([_asff("a")], IngestContext(received_at=RECEIVED + timedelta(hours=1))).events[0]
    newer = map_documents([_asff("a", UpdatedAt="2026-05-09T00:00:00Z")], CTX).events[0]
    assert again["event.id"] == first
    assert newer["event.id"] != first


def test_a_finding_without_version_time_is_identified_by_its_content() -> None:
    bare = {key: value for key, value in _asff("a").items() if key != "UpdatedAt"}
    later = IngestContext(received_at=RECEIVED + timedelta(hours=2))
    first, again = (map_documents([bare], ctx).events[0] for ctx in (CTX, later))
    assert first["timestamp"] != again["timestamp"]
    assert first["event.id"] == again["event.id"]
    changed = map_documents([{**bare, "Title": "other"}], CTX).events[0]
    assert changed["event.id"] != first["event.id"]


def test_a_future_dated_finding_is_stored_once_whatever_the_receive_time() -> None:
    future = _asff("a", UpdatedAt="2099-01-01T00:00:00Z")
    deliveries = [
        map_documents([_eventbridge([future], time=f"2026-06-0{day}T00:00:00Z")], ctx).events[0]
        for day, ctx in ((1, CTX), (2, IngestContext(received_at=RECEIVED + timedelta(days=1))))
    ]
    assert deliveries[0]["timestamp"] != deliveries[1]["timestamp"]  # each clamped to its own receive time
    assert deliveries[0]["event.id"] == deliveries[1]["event.id"]


def test_a_changed_finding_with_the_same_version_time_is_a_new_event() -> None:
    first = map_documents([_asff("a")], CTX).events[0]
    resolved = map_documents([_asff("a", Workflow={"Status": "RESOLVED"})], CTX).events[0]
    assert first["timestamp"] == resolved["timestamp"]
    assert first["event.id"] != resolved["event.id"]
    # A part that is not mapped (Security Hub rewrites ProcessedAt when it reprocesses) is no change.
    reprocessed = map_documents([_asff("a", ProcessedAt="2026-05-07T00:00:00Z")], CTX).events[0]
    assert reprocessed["event.id"] == first["event.id"]


def test_the_envelope_time_is_not_part_of_the_identity() -> None:
    bare = {key: value for key, value in _asff("a").items() if key != "UpdatedAt"}
    first, again = (
        map_documents([_eventbridge([bare], time=time)], CTX).events[0]
        for time in ("2026-05-03T00:00:00Z", "2026-05-04T00:00:00Z")
    )
    assert first["event.id"] == again["event.id"]


def test_envelope_region_and_account_fill_gaps() -> None:
    finding = {key: value for key, value in _asff("a").items() if key != "AwsAccountId"}
    (event,) = map_documents([_eventbridge([finding])], CTX).events
    assert event["aws.account.id"] == "123456789012"
    assert event["aws.region"] == "eu-west-1"


def test_one_bad_finding_never_loses_its_neighbours() -> None:
    body = orjson.dumps(_eventbridge([_asff("a"), {**_asff("b"), "Resources": "nope"}, 3, _asff("c")]))
    batch = map_bytes(body, CTX, "batch.json")
    assert sorted(e["finding.id"] for e in batch.events) == ["a", "c"]
    assert [r.location for r in batch.rejections] == [
        "batch.json detail.findings[1].Resources",
        "batch.json detail.findings[2]",
    ]
    assert batch.findings == 3


def test_unknown_objects_are_custom_events_and_scalars_are_rejected() -> None:
    batch = map_bytes(b'{"hello": "world"}\n42\n', CTX, "x.ndjson")
    (event,) = batch.events
    assert event["event.provider"] == "Custom"
    assert "event.type" not in event
    assert "cloud.provider" not in event
    assert [str(r) for r in batch.rejections] == ["x.ndjson line 2: expected a JSON object or array, got int"]


def test_values_orjson_cannot_write_still_keep_the_raw_finding() -> None:
    finding = _asff("a", ProductFields={"big": 2**70, 7: "non-string key"})
    (event,) = map_documents([finding], CTX).events
    assert '"big":1180591620717411303424' in event["dt.raw_data"]


def test_undecodable_body_is_one_located_rejection() -> None:
    batch = map_bytes(b'{"a": ', CTX, "body")
    assert batch.events == []
    assert [str(r) for r in batch.rejections] == ["body: invalid JSON at byte 6: unexpected end of data"]


def test_both_spellings_of_a_guardduty_finding_are_one_event() -> None:
    camel = orjson.loads((FINDINGS / "guardduty" / "own-rds-login.json").read_bytes())
    (eventbridge,) = map_documents([camel], CTX).events
    (backfilled,) = map_documents([pascal(camel.get("detail", camel))], CTX).events
    assert eventbridge["dt.raw_data"] != backfilled["dt.raw_data"]
    assert eventbridge["event.id"] == backfilled["event.id"]


def test_vendor_times_are_normalized_and_keep_their_nanoseconds() -> None:
    finding = _asff(
        "a", CreatedAt="2024-05-24 00:26:57.000000000", UpdatedAt="2024-05-24T02:26:57.000958601+02:00"
    )
    (event,) = map_documents([finding], CTX).events
    assert event["finding.time.created"] == "2024-05-24T00:26:57.000000000Z"
    assert event["finding.time.updated"] == "2024-05-24T00:26:57.000958601Z"
    assert event["timestamp"] == "2024-05-24T00:26:57.000958000Z"  # the store keeps microseconds
    (kept,) = map_documents([_asff("b", CreatedAt="last tuesday")], CTX).events
    assert kept["finding.time.created"] == "last tuesday"  # unreadable: kept as written


def test_a_version_time_outside_the_timestamp_range_is_not_used() -> None:
    for written in ("0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z"):
        finding = _asff("a", UpdatedAt=written)
        (event,) = map_documents([_eventbridge([finding])], CTX).events
        assert event["timestamp"] == "2026-05-03T00:00:00.000000000Z", written  # the envelope time
        assert event["finding.time.updated"].startswith(written[:19]), written
        (bare,) = map_documents([finding], CTX).events
        assert bare["timestamp"] == "2026-06-01T12:00:00.000000000Z", written  # the receive time
        again = map_documents([finding], IngestContext(received_at=RECEIVED + timedelta(days=1))).events
        assert again[0]["event.id"] == bare["event.id"]


def test_non_finite_numbers_are_stored_as_null() -> None:
    # Only a caller's parsed documents (a backfill page) can hold them; JSON cannot.
    finding = _asff("a", Severity={"Normalized": float("inf")}, ProductFields={"x": float("nan")})
    (event,) = map_documents([finding], CTX).events
    assert orjson.loads(event["dt.raw_data"])["ProductFields"] == {"x": None}
    assert event["finding.score"] == 100.0  # clamped
    wide = _asff("b", ProductFields={"x": float("nan"), "big": 2**70})  # orjson refuses 2**70
    (event,) = map_documents([wide], CTX).events
    assert orjson.loads(event["dt.raw_data"])["ProductFields"] == {"x": None, "big": 2**70}
