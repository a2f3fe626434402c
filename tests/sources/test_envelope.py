from __future__ import annotations

from typing import Any

from threatlake.errors import SourceError
from threatlake.sources import Finding
from threatlake.sources.envelope import unwrap

GD = {"schemaVersion": "2.0", "id": "f1", "type": "Recon:EC2/Portscan"}


def _eventbridge(source: str, detail_type: str, detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-1",
        "detail": detail,
    }


def test_guardduty_event() -> None:
    (finding,) = unwrap(_eventbridge("aws.guardduty", "GuardDuty Finding", GD))
    assert finding == Finding(
        raw=GD,
        location="detail",
        source="guardduty",
        envelope_time="2026-01-01T00:00:00Z",
        region="eu-west-1",
        account="123456789012",
    )


def test_securityhub_events_name_their_source() -> None:
    for detail_type, source in (
        ("Security Hub Findings - Imported", "securityhub"),
        ("Security Hub Findings - Custom Action", "securityhub"),
        ("Findings Imported V2", "securityhub_ocsf"),
    ):
        items = list(
            unwrap(_eventbridge("aws.securityhub", detail_type, {"findings": [{"Id": "a"}, {"Id": "b"}]}))
        )
        assert [(i.source, i.location) for i in items if isinstance(i, Finding)] == [
            (source, "detail.findings[0]"),
            (source, "detail.findings[1]"),
        ]


def test_bad_entries_are_located_and_neighbours_kept() -> None:
    doc = [
        _eventbridge("aws.securityhub", "Security Hub Findings - Imported", {"findings": [{"Id": "a"}, 7]}),
        _eventbridge("aws.guardduty", "GuardDuty Finding", "not an object"),
        None,
        GD,
    ]
    items = list(unwrap(doc))
    errors = [(i.location, i.reason) for i in items if isinstance(i, SourceError)]
    assert errors == [
        ("[0].detail.findings[1]", "expected a finding object, got int"),
        ("[1].detail", "expected an object in 'detail' of a 'GuardDuty Finding' event"),
        ("[2]", "expected a JSON object or array, got null"),
    ]
    assert [i.location for i in items if isinstance(i, Finding)] == ["[0].detail.findings[0]", "[3]"]


def test_api_responses_and_batches() -> None:
    assert [i.location for i in unwrap({"Findings": [{"Id": "a"}], "NextToken": "x"})] == ["Findings[0]"]
    assert list(unwrap({"findings": []})) == []
    recorded = {"status_code": 200, "data": {"Findings": [{"Id": "a"}]}}
    assert [i.location for i in unwrap(recorded)] == ["data.Findings[0]"]


def test_other_eventbridge_events_and_objects_are_kept_whole() -> None:
    other = _eventbridge("aws.ec2", "EC2 Instance State-change Notification", {"state": "running"})
    (finding,) = unwrap(other)
    assert isinstance(finding, Finding) and finding.raw is other and finding.source is None


def test_scalars_and_deep_arrays_are_rejected() -> None:
    (error,) = unwrap("text")
    assert isinstance(error, SourceError) and error.location == "document"
    (error,) = unwrap([[[GD]]])
    assert isinstance(error, SourceError) and error.location == "[0][0]"


def test_the_2019_security_hub_detail_type_is_read_as_imported() -> None:
    finding = {"SchemaVersion": "2018-10-08", "Id": "f-1", "ProductArn": "arn:aws:securityhub:::product/x/y"}
    event = {
        "source": "aws.securityhub",
        "detail-type": "Security Hub Findings",
        "detail": {"findings": [finding]},
    }
    (found,) = list(unwrap(event))
    assert isinstance(found, Finding)
    assert (found.source, found.location, found.raw) == ("securityhub", "detail.findings[0]", finding)
