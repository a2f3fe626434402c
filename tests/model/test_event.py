from __future__ import annotations

from datetime import UTC, datetime

from threatlake.model import (
    DELIVERY_FIELDS,
    FIELDS,
    FieldType,
    event_id,
    format_timestamp,
    in_time_range,
    normalize_time,
    parse_timestamp,
)


def test_parse_timestamp_forms() -> None:
    expected = datetime(2025, 8, 22, 1, 40, 10, 6000, tzinfo=UTC)
    assert parse_timestamp("2025-08-22T01:40:10.006Z") == expected
    assert parse_timestamp("2025-08-22T03:40:10.006+02:00") == expected
    assert parse_timestamp("2025-08-22T01:40:10.006") == expected
    assert parse_timestamp(1755826810.006) == expected
    assert parse_timestamp(1755826810006) == expected
    assert parse_timestamp(1.6e9) == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    for bad in ("", "yesterday", None, True, [], {}, float("inf"), 1e300):
        assert parse_timestamp(bad) is None


def test_format_timestamp_has_nanosecond_digits() -> None:
    assert (
        format_timestamp(datetime(2025, 8, 22, 1, 40, 10, 6000, tzinfo=UTC))
        == "2025-08-22T01:40:10.006000000Z"
    )


def test_event_id_is_deterministic_and_sensitive() -> None:
    base = {"event.provider": "Amazon GuardDuty", "finding.id": "f1", "object.id": "o1", "finding.title": "t"}
    assert event_id(base, "v1") == event_id(dict(base), "v1")
    assert len(event_id(base, "v1")) == 32
    assert event_id(base, "v2") != event_id(base, "v1")
    for key in ("event.provider", "finding.id", "object.id", "object.type", "finding.title"):
        assert event_id({**base, key: "other"}, "v1") != event_id(base, "v1"), key
    vuln = {**base, "vulnerability.id": "CVE-1", "component.name": "openssl", "component.version": "1"}
    assert event_id(vuln) != event_id({**vuln, "component.version": "2"})


def test_event_id_ignores_the_delivery_and_the_clock() -> None:
    base = {"event.provider": "AWS Security Hub", "finding.id": "f1", "object.id": "o1"}
    delivered = {
        **base,
        "timestamp": "2026-01-01T00:00:00.000000000Z",
        "dt.ingest.time": "2026-01-01T00:00:00.000000000Z",
        "dt.ingest.connection": "prod",
        "dt.openpipeline.source": "/platform/ingest/v1/security.events",
        "dt.system.bucket": "b",
        "dt.raw_data": "{}",
    }
    assert set(delivered) - set(base) <= DELIVERY_FIELDS
    assert event_id(delivered, "v1") == event_id(base, "v1")


def test_catalogue_names_are_unique_and_typed() -> None:
    assert len(FIELDS) > 60
    assert FIELDS["timestamp"].type is FieldType.TIMESTAMP
    assert FIELDS["actor.ips"].type is FieldType.STRING_ARRAY
    assert all(name == spec.name and spec.doc for name, spec in FIELDS.items())


def test_normalize_time_keeps_nanoseconds_and_reads_every_form() -> None:
    assert normalize_time("2024-05-24T00:26:57.000958601Z") == "2024-05-24T00:26:57.000958601Z"
    assert normalize_time("2024-05-24 00:26:57.000000000") == "2024-05-24T00:26:57.000000000Z"
    assert normalize_time("2024-05-24T02:26:57.1234567+02:00") == "2024-05-24T00:26:57.123456700Z"
    assert normalize_time(1716510417000) == "2024-05-24T00:26:57.000000000Z"
    assert normalize_time("0001-01-01T00:00:00Z") == "0001-01-01T00:00:00.000000000Z"
    assert normalize_time("soon") is None
    assert not in_time_range("0001-01-01T00:00:00.000000000Z")
    assert in_time_range("2024-05-24T00:26:57.000000000Z")
    assert not in_time_range("2262-04-12T00:00:00.000000000Z")
