"""The older integration's verify query runs unchanged against the real service (issue 12, item 12), and a
query over a bucket that does not exist says which buckets do."""

from __future__ import annotations

from tests.web.conftest import Server, sample_files

LEGACY = (
    'fetch events | filter dt.system.bucket == "default_security_custom_events"'
    ' | filter event.kind == "SECURITY_EVENT" AND event.provider=="Amazon GuardDuty"'
    ' AND event.type=="DETECTION_FINDING"'
)


def test_legacy_verify_query_and_unknown_bucket_notification(live: Server) -> None:
    for path in sample_files():
        assert live.ingest(path.read_bytes()).status_code == 202, path.name
    native = live.query(
        'fetch security.events | filter event.provider == "Amazon GuardDuty"'
        ' and event.type == "DETECTION_FINDING" | fields event.id'
    )["records"]
    legacy = live.query(LEGACY + " | fields event.id, dt.system.bucket")
    assert native, "the bundled samples hold GuardDuty detections"
    assert sorted(r["event.id"] for r in legacy["records"]) == sorted(r["event.id"] for r in native)
    assert {r["dt.system.bucket"] for r in legacy["records"]} == {"default_security_custom_events"}
    assert legacy["metadata"]["grail"]["notifications"] == []

    missing = live.query(
        'fetch security.events | filter dt.system.bucket == "default_security_custom_events"'
    )
    assert missing["records"] == []
    (note,) = missing["metadata"]["grail"]["notifications"]
    assert note["notificationType"] == "UNKNOWN_BUCKET"
    assert note["message"] == (
        "No bucket is named 'default_security_custom_events'; the buckets are: default_securityevents."
    )
