"""The ASFF mapper: recognition, routing by Types[0], splitting, and the fields of model.md §3-§5."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from threatlake.errors import SourceError
from threatlake.model import Event
from threatlake.sources import securityhub, securityhub_ocsf
from threatlake.sources.securityhub import route
from threatlake.sources.source import Finding

FIXTURES = Path(__file__).parents[1] / "fixtures" / "findings" / "securityhub"
SAMPLES = Path(__file__).parents[3] / "shared" / "samples" / "securityhub"
ACCOUNT = "123456789012"


def findings_in(path: Path) -> list[dict[str, Any]]:
    """The findings of a file: an EventBridge event, a recorded GetFindings response, an array, or bare."""
    doc = orjson.loads(path.read_bytes())
    items = doc if isinstance(doc, list) else [doc]
    found: list[dict[str, Any]] = []
    for item in items:
        if "detail" in item:
            found.extend(item["detail"]["findings"])
        elif "data" in item:
            found.extend(item["data"]["Findings"])
        elif "Findings" in item:
            found.extend(item["Findings"])
        else:
            found.append(item)
    return found


def mutations(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Copies of ``raw`` with one value replaced by an odd one or removed, each with the path it changed."""
    for path in _paths(raw):
        for value in (*_ODD, _REMOVED):
            yield _dotted(path), _replaced(raw, path, value)


_ODD: tuple[Any, ...] = (None, "", 7, 1.5, True, "x", [], {}, [7], [None], {"a": 1})
_REMOVED = object()


def _paths(value: Any, depth: int = 0) -> Iterator[tuple[str | int, ...]]:
    if depth > 6:
        return
    entries = (
        value.items() if isinstance(value, dict) else enumerate(value[:2]) if isinstance(value, list) else ()
    )
    for key, item in entries:
        yield (key,)
        for rest in _paths(item, depth + 1):
            yield (key, *rest)


def _replaced(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if rest:
        copy[head] = _replaced(value[head], rest, new)
    elif new is _REMOVED:
        del copy[head]
    else:
        copy[head] = new
    return copy


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _map(raw: dict[str, Any], **envelope: Any) -> list[Event]:
    return securityhub.SOURCE.map(Finding(raw=raw, **envelope))


def _fixture(name: str) -> list[dict[str, Any]]:
    return findings_in(FIXTURES / name)


def _asff(**fields: Any) -> dict[str, Any]:
    """A small valid ASFF finding; ``fields`` replace or add top-level keys (None removes one)."""
    finding: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": "finding-1",
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
        "AwsAccountId": ACCOUNT,
        "Types": ["TTPs/Discovery"],
        "CreatedAt": "2025-07-01T00:00:00Z",
        "UpdatedAt": "2025-07-02T00:00:00Z",
        "Severity": {"Label": "MEDIUM"},
        "Title": "t",
        "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::bucket-a"}],
    }
    finding.update(fields)
    return {key: value for key, value in finding.items() if value is not None}


# Recognition and routing ------------------------------------------------------------------------------------


def test_detect_recognises_asff_only() -> None:
    assert securityhub.SOURCE.detect(_asff())
    assert not securityhub.SOURCE.detect(
        {"schemaVersion": "2.0", "type": "Recon:EC2/Portscan", "service": {}}
    )
    pascal_guardduty = {
        "SchemaVersion": "2.0",
        "Type": "Recon:EC2/Portscan",
        "Service": {},
        "ProductArn": "x",
    }
    assert not securityhub.SOURCE.detect(pascal_guardduty)
    assert not securityhub.SOURCE.detect({**_asff(), "class_uid": 2004})
    assert not securityhub.SOURCE.detect(_asff(ProductArn=None))
    assert not securityhub.SOURCE.detect({"SchemaVersion": 7, "ProductArn": "x"})
    assert securityhub.SOURCE.name == "securityhub"
    assert securityhub.SOURCE.provider == "AWS Security Hub"


@pytest.mark.parametrize(
    ("first_type", "expected"),
    [
        ("Software and Configuration Checks/Vulnerabilities/CVE", "VULNERABILITY_FINDING"),
        ("Software and Configuration Checks/Vulnerabilities", "VULNERABILITY_FINDING"),
        ("Software and Configuration Checks/Industry and Regulatory Standards/CIS", "COMPLIANCE_FINDING"),
        ("Software and Configuration Checks/Industry and Regulatory Standards", "COMPLIANCE_FINDING"),
        ("TTPs/Discovery/Recon:IAMUser-ResourcePermissions", "DETECTION_FINDING"),
        ("TTPs", "DETECTION_FINDING"),
        ("Effects/Data Exposure/Policy:IAMUser-S3BucketPublic", "DETECTION_FINDING"),
        ("Unusual Behaviors/User/UnauthorizedAccess:IAMUser-ConsoleLogin", "DETECTION_FINDING"),
        ("Software and Configuration Checks/AWS Security Best Practices", None),
        ("Software and Configuration Checks", None),
        ("Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal", "DETECTION_FINDING"),
        ("TTPsX/Discovery", None),
        ("Software and Configuration Checks/VulnerabilitiesX", None),
    ],
)
def test_routing_by_first_type(first_type: str, expected: str | None) -> None:
    assert (route(first_type) or None) == expected
    (event,) = _map(_asff(Types=[first_type, "Effects/Data Exposure"]))
    assert event["event.type"] == expected
    assert event["finding.type"] == first_type
    assert event["finding.types"] == [first_type, "Effects/Data Exposure"]


def test_finding_without_types_is_unmapped() -> None:
    (event,) = _map(_asff(Types=None))
    assert (event["event.type"], event["finding.type"], event["finding.types"]) == (None, None, [])


# Common fields ----------------------------------------------------------------------------------------------


def test_common_fields_of_a_control_finding() -> None:
    (event,) = _map(_fixture("own-eventbridge-imported-three-findings.json")[0])
    assert {
        key: event[key] for key in event if not key.startswith(("compliance.", "rule.", "event.desc"))
    } == {
        "event.type": "COMPLIANCE_FINDING",
        "event.provider": "AWS Security Hub",
        "event.name": "S3 general purpose buckets should block public access",
        "product.vendor": "AWS",
        "product.name": "Security Hub",
        "finding.id": "arn:aws:securityhub:eu-central-1:123456789012:security-control/S3.8/finding/"
        "3e6a1c9f-2b7d-4e05-9a18-c4d2f0b7e613",
        "finding.title": "S3 general purpose buckets should block public access",
        "finding.description": event["event.description"],
        "finding.type": "Software and Configuration Checks/Industry and Regulatory Standards",
        "finding.types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "finding.severity": "HIGH",
        "finding.score": 70.0,
        "finding.time.created": "2025-05-02T07:19:44.102Z",
        "finding.time.updated": "2025-07-08T12:30:47.390Z",
        "finding.status": "NOTIFIED",
        "finding.record_state": "ACTIVE",
        "finding.url": None,
        "finding.result": "FAIL",
        "dt.security.risk.level": "HIGH",
        "dt.security.risk.score": 8.9,
        "aws.account.id": ACCOUNT,
        "aws.region": "eu-central-1",
        "aws.availability_zone": None,
        "object.id": "arn:aws:s3:::acme-static-site",
        "object.name": "acme-static-site",
        "object.type": "AwsS3Bucket",
        "aws.resource.id": "arn:aws:s3:::acme-static-site",
        "aws.resource.name": "acme-static-site",
        "aws.resource.type": "AwsS3Bucket",
    }
    assert event["event.description"].startswith("This control checks whether an Amazon S3")
    assert not {"timestamp", "event.id", "event.kind", "cloud.provider", "dt.raw_data"} & set(event)


def test_absent_values_are_none_never_empty_strings() -> None:
    events = _map(_asff(Title="", Description=None, Resources=[{"Type": "", "Id": ""}]))
    assert all(value != "" for event in events for value in event.values())
    assert events[0]["event.name"] is None
    assert events[0]["object.id"] is None


def test_status_falls_back_to_workflow_state_and_url_is_source_url() -> None:
    (event,) = _map(_asff(WorkflowState="IN_PROGRESS", SourceUrl="https://console.example/f"))
    assert (event["finding.status"], event["finding.url"]) == ("IN_PROGRESS", "https://console.example/f")
    (event,) = _map(_asff(WorkflowState="NEW", Workflow={"Status": "SUPPRESSED"}))
    assert event["finding.status"] == "SUPPRESSED"


@pytest.mark.parametrize(
    ("product_arn", "company", "product", "vendor", "name"),
    [
        ("arn:aws:securityhub:us-east-1::product/aws/guardduty", None, None, "AWS", "GuardDuty"),
        ("arn:aws:securityhub:us-east-1::product/aws/securityhub", None, None, "AWS", "Security Hub"),
        (
            "arn:aws:securityhub:us-east-1::product/aws/access-analyzer",
            None,
            None,
            "AWS",
            "IAM Access Analyzer",
        ),
        (
            "arn:aws:securityhub:us-east-1::product/aws/inspector",
            "Amazon",
            "Inspector",
            "AWS",  # one spelling of AWS whatever the input path
            "Inspector",
        ),
        (
            "arn:aws:securityhub:us-west-2::product/cloud-custodian/cloud-custodian",
            None,
            None,
            "cloud-custodian",
            "cloud-custodian",
        ),
        (
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
            None,
            None,
            ACCOUNT,
            "default",
        ),
        ("not-an-arn", None, None, None, None),
    ],
)
def test_product_from_names_else_from_product_arn(
    product_arn: str, company: str | None, product: str | None, vendor: str | None, name: str | None
) -> None:
    (event,) = _map(_asff(ProductArn=product_arn, CompanyName=company, ProductName=product))
    assert (event["product.vendor"], event["product.name"]) == (vendor, name)


def test_product_from_product_fields_when_the_names_are_absent() -> None:
    fields = {"aws/securityhub/CompanyName": "Acme Security", "aws/securityhub/ProductName": "Acme Sensor"}
    arn = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    (event,) = _map(_asff(ProductArn=arn, ProductFields=fields))
    assert (event["product.vendor"], event["product.name"]) == ("Acme Security", "Acme Sensor")


def test_provider_fields_fill_types_and_severity_when_the_top_level_lacks_them() -> None:
    provider = {"Types": ["TTPs/Initial Access/Phishing"], "Severity": {"Label": "HIGH", "Original": "8"}}
    (event,) = _map(_asff(Types=None, Severity=None, FindingProviderFields=provider))
    assert (event["event.type"], event["finding.types"]) == ("DETECTION_FINDING", provider["Types"])
    assert (event["finding.severity"], event["dt.security.risk.level"]) == ("HIGH", "HIGH")
    # The top level (what the customer set with BatchUpdateFindings) wins when it is there.
    (event,) = _map(_asff(FindingProviderFields=provider))
    assert (event["finding.types"], event["dt.security.risk.level"]) == (["TTPs/Discovery"], "MEDIUM")
    with pytest.raises(SourceError) as caught:
        _map(_asff(Types=None, FindingProviderFields={"Types": 5}))
    assert caught.value.location == "FindingProviderFields.Types"


def test_created_falls_back_to_first_seen_then_updated() -> None:
    (event,) = _map(_asff(CreatedAt=None, FirstObservedAt="2025-06-30T08:00:00Z"))
    assert event["finding.time.created"] == "2025-06-30T08:00:00Z"
    (event,) = _map(_asff(CreatedAt=None))
    assert event["finding.time.created"] == "2025-07-02T00:00:00Z"


def test_region_falls_back_to_resource_then_product_arn_then_envelope() -> None:
    resources = [
        {"Type": "AwsS3Bucket", "Id": "a", "Region": "us-west-2"},
        {"Type": "AwsS3Bucket", "Id": "b"},
    ]
    regions = [e["aws.region"] for e in _map(_asff(Types=["Effects"], Resources=resources))]
    assert regions == ["us-west-2", "eu-west-1"]
    finding = _asff(Region="ap-south-1", Types=["Effects"], Resources=resources)
    assert [e["aws.region"] for e in _map(finding)] == ["ap-south-1", "ap-south-1"]
    (event,) = _map(_asff(ProductArn="arn:aws:securityhub:::product/x/y"), region="sa-east-1", account="999")
    assert (event["aws.region"], event["aws.account.id"]) == ("sa-east-1", ACCOUNT)
    (event,) = _map(_asff(AwsAccountId=None), account="210987654321")
    assert event["aws.account.id"] == "210987654321"


# Severity (model.md §3) -------------------------------------------------------------------------------------


def test_label_is_derived_from_normalized_at_every_band_edge() -> None:
    found = [
        (e["finding.score"], e["finding.severity"], e["dt.security.risk.level"], e["dt.security.risk.score"])
        for finding in _fixture("own-asff-severity-normalized-band-edges.json")
        for e in _map(finding)
    ]
    assert found == [
        (0.0, "INFORMATIONAL", "NONE", 0.0),
        (1.0, "LOW", "LOW", 3.9),
        (39.0, "LOW", "LOW", 3.9),
        (40.0, "MEDIUM", "MEDIUM", 6.9),
        (69.0, "MEDIUM", "MEDIUM", 6.9),
        (70.0, "HIGH", "HIGH", 8.9),
        (89.0, "HIGH", "HIGH", 8.9),
        (90.0, "CRITICAL", "CRITICAL", 10.0),
        (100.0, "CRITICAL", "CRITICAL", 10.0),
    ]


def test_severity_with_neither_label_nor_normalized_is_not_available() -> None:
    (event,) = _map(_fixture("own-asff-severity-not-available.json")[0])
    assert event["dt.security.risk.level"] == "NOT_AVAILABLE"
    assert event["dt.security.risk.score"] is None
    assert (event["finding.severity"], event["finding.score"]) == (None, None)
    (event,) = _map(_asff(Severity=None))
    assert event["dt.security.risk.level"] == "NOT_AVAILABLE"


def test_label_wins_over_normalized_and_informational_is_none() -> None:
    (event,) = _map(_asff(Severity={"Label": "INFORMATIONAL", "Normalized": 95}))
    assert (event["finding.severity"], event["finding.score"]) == ("INFORMATIONAL", 95.0)
    assert (event["dt.security.risk.level"], event["dt.security.risk.score"]) == ("NONE", 0.0)
    (event,) = _map(_asff(Severity={"Label": "critical"}))
    assert (event["finding.severity"], event["dt.security.risk.level"]) == ("critical", "CRITICAL")


# Resources and the affected object (model.md §2, §4) --------------------------------------------------------


def test_a_detection_with_three_resources_is_three_events() -> None:
    events = _map(_fixture("own-asff-guardduty-s3-three-resources.json")[0])
    assert [(e["object.id"], e["object.type"], e["object.name"], e["aws.resource.id"]) for e in events] == [
        ("ASIAQ3EXAMPLE7KEYETL", "AwsIamAccessKey", "etl-runner", "AWS::IAM::AccessKey:ASIAQ3EXAMPLE7KEYETL"),
        (
            "arn:aws:s3:::acme-data-lake-raw",
            "AwsS3Bucket",
            "acme-data-lake-raw",
            "arn:aws:s3:::acme-data-lake-raw",
        ),
        (
            "arn:aws:s3:::acme-data-lake-curated",
            "AwsS3Bucket",
            "acme-data-lake-curated",
            "arn:aws:s3:::acme-data-lake-curated",
        ),
    ]
    shared = {
        "finding.id",
        "event.type",
        "detection.type",
        "actor.ips",
        "threat.purpose",
        "dt.security.risk.level",
    }
    assert all({k: e[k] for k in shared} == {k: events[0][k] for k in shared} for e in events)
    assert events[0]["actor.ips"] == ["198.51.100.23"]
    assert events[0]["actor.geo.country.name"] == "Netherlands"
    assert events[0]["threat.purpose"] == "Discovery"
    assert events[0]["finding.url"].startswith("https://eu-west-1.console.aws.amazon.com/guardduty/")


def test_an_unmapped_finding_is_one_event_about_its_first_resource() -> None:
    sensitive, public, block_disabled = _fixture("own-asff-macie-sensitive-data-and-policy.json")
    events = _map(sensitive)
    # Sensitive data is a detection (as Security Hub v2 sends Macie's findings), one event per resource.
    assert [e["event.type"] for e in events] == ["DETECTION_FINDING"] * len(sensitive["Resources"])
    assert events[0]["object.id"] == "arn:aws:s3:::acme-hr-exports"
    assert (events[0]["product.vendor"], events[0]["product.name"]) == ("AWS", "Macie")
    (event,) = _map(public)
    assert (event["event.type"], event["threat.purpose"]) == ("DETECTION_FINDING", "Policy")
    assert event["detection.type"] == "Effects/Data Exposure/Policy:IAMUser-S3BucketPublic"
    # Macie's own best-practice types are detections too (by product); another product's stay unmapped.
    assert {e["event.type"] for e in _map(block_disabled)} == {"DETECTION_FINDING"}
    other = {**block_disabled, "ProductName": "Acme", "ProductArn": "arn:aws:securityhub:::product/acme/x"}
    (event,) = _map(other)
    assert (event["event.type"], event["object.id"]) == (None, other["Resources"][0]["Id"])
    assert not any(key.startswith(("detection.", "actor.", "vulnerability.", "compliance.")) for key in event)


def test_a_finding_without_resources_is_still_one_event() -> None:
    (event,) = _map(_asff(Resources=None))
    assert (event["finding.id"], event["object.id"], event["aws.region"]) == (
        "finding-1",
        "AWS::::Account:123456789012",
        "eu-west-1",
    )


@pytest.mark.parametrize(
    ("resource", "name"),
    [
        ({"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:r:1:instance/i-1", "Tags": {"Name": "web"}}, "web"),
        ({"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:r:1:instance/i-1"}, "i-1"),
        ({"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::logs"}, "logs"),
        ({"Type": "AwsLambdaFunction", "Id": "arn:aws:lambda:r:1:function:fn"}, "fn"),
        ({"Type": "AwsAccount", "Id": "AWS::::Account:123456789012"}, ACCOUNT),
        (
            {
                "Type": "AwsIamRole",
                "Id": "arn:aws:iam::1:role/x",
                "Details": {"AwsIamRole": {"RoleName": "y"}},
            },
            "y",
        ),
        ({"Type": "AwsIamUser", "Id": "arn:aws:iam::1:user/path/alice"}, "alice"),
        ({"Type": "Other", "Id": "arn:aws:x:r:1:thing/"}, None),
    ],
)
def test_object_name(resource: dict[str, Any], name: str | None) -> None:
    (event,) = _map(_asff(Resources=[resource]))
    assert event["object.name"] == event["aws.resource.name"] == name


def test_access_key_object_id_is_the_key_id_unless_it_is_null() -> None:
    ids = [
        (e["object.id"], e["aws.resource.id"])
        for e in _map(
            _asff(
                Types=["Unusual Behaviors/User"],
                Resources=[
                    {"Type": "AwsIamAccessKey", "Id": "AWS::IAM::AccessKey:AKIAEXAMPLE"},
                    {"Type": "AwsIamAccessKey", "Id": "AWS::IAM::AccessKey:null"},
                ],
            )
        )
    ]
    assert ids == [
        ("AKIAEXAMPLE", "AWS::IAM::AccessKey:AKIAEXAMPLE"),
        ("AWS::IAM::AccessKey:null", "AWS::IAM::AccessKey:null"),
    ]


def test_availability_zone_comes_from_the_resource_details() -> None:
    details = {"AwsRdsDbInstance": {"DBInstanceIdentifier": "orders", "AvailabilityZone": "eu-west-1b"}}
    resource = {"Type": "AwsRdsDbInstance", "Id": "arn:aws:rds:r:1:db:d", "Details": details}
    (event,) = _map(_asff(Resources=[resource]))
    assert (event["aws.availability_zone"], event["object.name"]) == ("eu-west-1b", "orders")


# Detections (model.md §5) -----------------------------------------------------------------------------------


def test_network_fields_by_direction() -> None:
    inbound, outbound, probe = (_map(f)[0] for f in _fixture("own-asff-guardduty-ec2-network.json"))
    keys = ("actor.ips", "actor.geo.country.name", "network.direction", "network.port", "network.protocol")
    assert [tuple(e[k] for k in keys) for e in (inbound, outbound, probe)] == [
        (["203.0.113.77"], "Brazil", "INBOUND", 22, "TCP"),
        (["192.0.2.150"], "Germany", "OUTBOUND", 443, "TCP"),
        (["198.51.100.4", "198.51.100.9"], "Singapore", None, 3389, None),
    ]
    assert [e["threat.purpose"] for e in (inbound, outbound, probe)] == [
        "UnauthorizedAccess",
        "Backdoor",
        "Recon",
    ]
    assert outbound["detection.type"] == "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B"
    assert (inbound["object.name"], inbound["finding.severity"]) == ("bastion-prod", "LOW")


def test_action_without_network_block_gives_direction_and_port() -> None:
    action = {
        "NetworkConnectionAction": {
            "ConnectionDirection": "OUTBOUND",
            "Protocol": "UDP",
            "RemoteIpDetails": {"IpAddressV4": "192.0.2.7", "IpAddressV6": "2001:db8::7"},
            "RemotePortDetails": {"Port": 53},
            "LocalPortDetails": {"Port": 50000},
        },
        "DnsRequestAction": {"Domain": "example.com"},
    }
    (event,) = _map(_asff(Action=action))
    assert event["actor.ips"] == ["192.0.2.7", "2001:db8::7"]
    assert (event["network.direction"], event["network.port"], event["network.protocol"]) == (
        "OUTBOUND",
        53,
        "UDP",
    )


def test_remote_ips_of_old_guardduty_findings_come_from_product_fields() -> None:
    product_fields = {
        "action/awsApiCallAction/remoteIpDetails/ipAddressV4": "198.51.100.61",
        "action/awsApiCallAction/remoteIpDetails/country/countryName": "Canada",
        "action/awsApiCallAction/api": "ListUsers",
    }
    (event,) = _map(
        _asff(Types=["TTPs/Discovery/Recon:IAMUser-UserPermissions"], ProductFields=product_fields)
    )
    assert (event["actor.ips"], event["actor.geo.country.name"]) == (["198.51.100.61"], "Canada")
    assert (event["detection.type"], event["threat.purpose"]) == (
        "TTPs/Discovery/Recon:IAMUser-UserPermissions",
        "Recon",
    )


def test_threat_purpose_comes_from_any_guardduty_style_type() -> None:
    types = ["Effects/Data Exposure", "Unusual Behaviors/User/Exfiltration:S3-AnomalousBehavior"]
    (event,) = _map(_asff(Types=types))
    assert (event["detection.type"], event["threat.purpose"]) == ("Effects/Data Exposure", "Exfiltration")
    (event,) = _map(_asff(Types=["TTPs/Defense Evasion"]))
    assert event["threat.purpose"] is None


# Vulnerabilities (model.md §4-§5) ---------------------------------------------------------------------------


def test_ec2_package_findings_split_per_vulnerability_and_package() -> None:
    events = _map(_fixture("own-asff-inspector-ec2-two-cves-two-packages.json")[0])
    assert [
        (e["vulnerability.id"], e["component.name"], e["component.version"], e["component.fixed_version"])
        for e in events
    ] == [
        ("CVE-2024-6387", "openssh-server", "0:8.7p1-8.amzn2023.0.10", "0:8.7p1-8.amzn2023.0.11"),
        ("CVE-2024-6387", "openssh-clients", "0:8.7p1-8.amzn2023.0.10", "0:8.7p1-8.amzn2023.0.11"),
        ("CVE-2023-4911", "glibc", "0:2.34-52.amzn2023.0.3", "0:2.34-52.amzn2023.0.7"),
        ("CVE-2023-4911", "glibc-common", "0:2.34-52.amzn2023.0.3", "0:2.34-52.amzn2023.0.7"),
    ]
    assert {(e["object.id"], e["object.type"], e["object.name"]) for e in events} == {
        (
            "arn:aws:ec2:eu-west-1:123456789012:instance/i-0a1b2c3d4e5f67890",
            "AwsEc2Instance",
            "payments-api-2",
        )
    }
    first, _, third, _ = events
    assert first["vulnerability.references.cve"] == ["CVE-2024-6387"]
    assert (first["vulnerability.cvss.base_score"], first["vulnerability.cvss.version"]) == (8.1, "3.1")
    assert (third["vulnerability.cvss.base_score"], third["vulnerability.exploit_available"]) == (7.8, "YES")
    assert first["vulnerability.fix_available"] == "YES"
    assert first["vulnerability.title"] == "CVE-2024-6387 - openssh-server, openssh-clients"
    assert first["vulnerability.description"].startswith("A security regression")
    assert {e["event.type"] for e in events} == {"VULNERABILITY_FINDING"}


def test_ecr_image_with_a_cve_is_a_container_image() -> None:
    (event,) = _map(_fixture("own-asff-inspector-ecr-image-cve.json")[0])
    digest = "sha256:6b1f0e3c9d2a4b5c8e7f1a0d3c6b9e2f5a8d1c4b7e0f3a6d9c2b5e8f1a4d7c0b"
    assert (event["object.type"], event["aws.resource.type"]) == ("CONTAINER_IMAGE", "AwsEcrContainerImage")
    assert event["object.id"] == f"arn:aws:ecr:us-east-1:123456789012:repository/checkout-service/{digest}"
    assert event["object.name"] == "checkout-service:v2.14.0"
    assert (event["container_image.repository"], event["container_image.digest"]) == (
        "checkout-service",
        digest,
    )
    assert event["container_image.tags"] == ["v2.14.0", "latest"]
    assert event["vulnerability.references.cve"] == ["CVE-2023-44487"]
    assert (event["component.name"], event["component.version"], event["component.fixed_version"]) == (
        "golang.org/x/net",
        "v0.8.0",
        "0.17.0",
    )


def test_ecr_image_outside_a_vulnerability_finding_keeps_its_type() -> None:
    image = {"RepositoryName": "api", "ImageDigest": "sha256:ab"}
    resource = {"Type": "AwsEcrContainerImage", "Id": "arn:x", "Details": {"AwsEcrContainerImage": image}}
    (event,) = _map(_asff(Resources=[resource]))
    assert (event["object.type"], event["object.name"]) == ("AwsEcrContainerImage", "api@sha256:ab")
    assert "container_image.repository" not in event


def test_lambda_vulnerability() -> None:
    (event,) = _map(_fixture("own-asff-inspector-lambda-vulnerability.json")[0])
    assert (event["object.type"], event["object.name"]) == ("AwsLambdaFunction", "invoice-renderer")
    assert (event["component.name"], event["component.version"]) == ("requests", "2.31.0")
    assert (event["vulnerability.exploit_available"], event["dt.security.risk.level"]) == ("NO", "MEDIUM")


def test_vulnerabilities_without_packages_or_without_a_list() -> None:
    vulns = [
        {"Id": "CVE-2025-0001", "RelatedVulnerabilities": ["CVE-2025-0002", "ALAS-1", "CVE-2025-0001"]},
        {"Id": "GHSA-xxxx", "VulnerablePackages": [{"Name": "p", "Version": "1", "Epoch": "2"}]},
    ]
    finding = _asff(Types=["Software and Configuration Checks/Vulnerabilities/CVE"], Vulnerabilities=vulns)
    events = _map(finding)
    assert [(e["vulnerability.id"], e.get("component.name"), e.get("component.version")) for e in events] == [
        ("CVE-2025-0001", None, None),
        ("GHSA-xxxx", "p", "2:1"),
    ]
    assert [e["vulnerability.references.cve"] for e in events] == [["CVE-2025-0001", "CVE-2025-0002"], []]
    two_resources = [{"Type": "AwsEc2Instance", "Id": "a"}, {"Type": "AwsEc2Instance", "Id": "b"}]
    events = _map(_asff(Types=["Software and Configuration Checks/Vulnerabilities"], Resources=two_resources))
    assert [(e["object.id"], e["event.type"]) for e in events] == [
        ("a", "VULNERABILITY_FINDING"),
        ("b", "VULNERABILITY_FINDING"),
    ]


def test_cvss_prefers_the_highest_version_then_nvd() -> None:
    cvss = [
        {"Version": "2.0", "BaseScore": 9.3, "Source": "NVD"},
        {"Version": "3.1", "BaseScore": 9.0, "Source": "VENDOR"},
        {"Version": "3.1", "BaseScore": 10, "Source": "NVD"},
        {"Version": "3.0", "BaseScore": 9.9},
        {"Version": "4.0"},
    ]
    finding = _asff(Types=["Software and Configuration Checks/Vulnerabilities/CVE"])
    (event,) = _map({**finding, "Vulnerabilities": [{"Id": "CVE-1", "Cvss": cvss}]})
    assert (event["vulnerability.cvss.base_score"], event["vulnerability.cvss.version"]) == (10.0, "3.1")
    (event,) = _map(
        {**finding, "Vulnerabilities": [{"Id": "CVE-1", "Cvss": [{"Version": "V2", "BaseScore": 4}]}]}
    )
    assert (event["vulnerability.cvss.base_score"], event["vulnerability.cvss.version"]) == (4.0, "V2")


# Compliance (model.md §5) -----------------------------------------------------------------------------------


def test_compliance_fields_of_a_consolidated_control_finding() -> None:
    (event,) = _map(_fixture("own-eventbridge-imported-three-findings.json")[0])
    assert {
        key: event[key] for key in event if key.startswith(("rule.", "compliance.", "finding.result"))
    } == {
        "rule.id": "S3.8",
        "rule.name": "S3 general purpose buckets should block public access",
        "compliance.control": "S3.8",
        "compliance.standards": [
            "standards/aws-foundational-security-best-practices/v/1.0.0",
            "standards/nist-800-53/v/5.0.0",
            "standards/pci-dss/v/4.0.1",
        ],
        "compliance.requirements": ["NIST.800-53.r5 AC-21", "NIST.800-53.r5 AC-3", "PCI DSS v4.0.1/1.4.4"],
        "compliance.status": "FAILED",
        "finding.result": "FAIL",
    }


@pytest.mark.parametrize(
    ("status", "result"),
    [
        ("PASSED", "PASS"),
        ("FAILED", "FAIL"),
        ("WARNING", "MANUAL"),
        ("NOT_AVAILABLE", "MANUAL"),
        (None, None),
    ],
)
def test_compliance_result(status: str | None, result: str | None) -> None:
    compliance = {"Status": status} if status else {}
    types = ["Software and Configuration Checks/Industry and Regulatory Standards/CIS"]
    (event,) = _map(_asff(Types=types, Compliance=compliance))
    assert (event["compliance.status"], event["finding.result"]) == (status, result)


def test_compliance_falls_back_to_product_fields_then_generator_id() -> None:
    types = ["Software and Configuration Checks/Industry and Regulatory Standards/CIS"]
    product_fields = {
        "StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
        "RuleId": "1.3",
    }
    (event,) = _map(_asff(Types=types, ProductFields=product_fields, GeneratorId="g"))
    assert (event["rule.id"], event["compliance.control"]) == ("1.3", "1.3")
    assert event["compliance.standards"] == ["ruleset/cis-aws-foundations-benchmark/v/1.2.0"]
    (event,) = _map(_asff(Types=types, GeneratorId="arn:aws:securityhub:::ruleset/cis/rule/1.3"))
    assert (event["rule.id"], event["compliance.control"], event["compliance.standards"]) == (
        "arn:aws:securityhub:::ruleset/cis/rule/1.3",
        None,
        [],
    )


def test_a_detection_that_carries_a_compliance_block_keeps_it() -> None:
    sample = {**_asff(Types=["Effects/Data Exposure/AWS-Foundational-Security-Best-Practices"])}
    sample["Compliance"] = {"Status": "FAILED", "SecurityControlId": "RDS.1"}
    (event,) = _map(sample)
    assert (event["event.type"], event["detection.type"]) == ("DETECTION_FINDING", sample["Types"][0])
    assert (event["compliance.control"], event["finding.result"]) == ("RDS.1", "FAIL")
    (event,) = _map(_asff(Types=["Software and Configuration Checks"], Compliance={"Status": "FAILED"}))
    assert "compliance.status" not in event


@pytest.mark.parametrize(
    ("normalized", "score", "level"),
    [(-1, 0.0, "NONE"), (101, 100.0, "CRITICAL"), (1e308, 100.0, "CRITICAL"), (2**70, 100.0, "CRITICAL")],
)
def test_normalized_severity_out_of_range_is_clamped_to_0_100(
    normalized: Any, score: float, level: str
) -> None:
    (event,) = _map(_asff(Severity={"Normalized": normalized}))
    assert (event["finding.score"], event["dt.security.risk.level"]) == (score, level)


def test_cvss_base_score_out_of_range_is_clamped_to_0_10() -> None:
    vulns = [{"Id": "CVE-2024-0001", "Cvss": [{"Version": "3.1", "BaseScore": 2**70}]}]
    finding = _asff(Types=["Software and Configuration Checks/Vulnerabilities/CVE"], Vulnerabilities=vulns)
    (event,) = _map(finding)
    assert event["vulnerability.cvss.base_score"] == 10.0


def test_scores_clamp_infinities_and_read_nan_as_missing() -> None:
    # Parsed JSON cannot hold them, but a caller's documents (a backfill page) can.
    (event,) = _map(_asff(Severity={"Normalized": float("inf")}))
    assert event["finding.score"] == 100.0
    (event,) = _map(_asff(Severity={"Normalized": float("nan")}))
    assert (event["finding.score"], event["dt.security.risk.level"]) == (None, "NOT_AVAILABLE")


# Robustness -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"Id": None}, "Id"),
        ({"Id": {"a": 1}}, "Id"),
        ({"Severity": "HIGH"}, "Severity"),
        ({"Severity": {"Normalized": "high"}}, "Severity.Normalized"),
        ({"Resources": "nope"}, "Resources"),
        (
            {"Resources": [{"Type": "AwsS3Bucket", "Id": "a"}, {"Type": "AwsS3Bucket", "Details": "x"}]},
            "Resources[1].Details",
        ),
        ({"Resources": [None, {"Type": "AwsS3Bucket", "Details": 3}]}, "Resources[1].Details"),
        (
            {"Resources": [{"Type": "AwsS3Bucket", "Details": {"AwsS3Bucket": []}}]},
            "Resources[0].Details.AwsS3Bucket",
        ),
        ({"Network": {"DestinationPort": "ssh"}}, "Network.DestinationPort"),
        (
            {"Action": {"PortProbeAction": {"PortProbeDetails": [{}, 4]}}},
            "Action.PortProbeAction.PortProbeDetails[1]",
        ),
    ],
)
def test_a_malformed_finding_raises_a_located_source_error(change: dict[str, Any], location: str) -> None:
    with pytest.raises(SourceError) as caught:
        _map(_asff(**change))
    assert caught.value.location == location


def test_a_malformed_vulnerability_raises_a_located_source_error() -> None:
    finding = _asff(Types=["Software and Configuration Checks/Vulnerabilities/CVE"])
    vulns = [{"Id": "CVE-1", "VulnerablePackages": [{"Name": "a"}, "b"]}]
    with pytest.raises(SourceError) as caught:
        _map({**finding, "Vulnerabilities": vulns})
    assert caught.value.location == "Vulnerabilities[0].VulnerablePackages[1]"
    with pytest.raises(SourceError) as caught:
        _map({**finding, "Vulnerabilities": [{"Cvss": [{"BaseScore": "n/a"}]}]})
    assert caught.value.location == "Vulnerabilities[0].Cvss[0].BaseScore"


def corpus(*, shared: bool) -> list[Path]:
    """The finding files of one corpus: our own fixtures, or the external ``../shared`` samples (empty when
    they are not beside the checkout)."""
    if not shared:
        return sorted(FIXTURES.glob("own-*.json"))
    return sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []


def _asff_findings(*, shared: bool = False) -> list[dict[str, Any]]:
    paths = corpus(shared=False) + (corpus(shared=True) if shared else [])
    return [finding for path in paths for finding in findings_in(path) if "class_uid" not in finding]


def check_mutations(findings: list[dict[str, Any]], map_one: Any) -> None:
    """Map every mutation of every finding; each either maps or raises at (a prefix of) the changed path.

    The floor derives from what is present: every top-level key of every finding is mutated in every odd
    way and by removal (nested values add more), so a corpus of any size is checked in full.
    """
    assert findings, "the corpus holds findings"
    checked = 0
    for finding in findings:
        for path, mutated in mutations(finding):
            try:
                map_one(mutated)
            except SourceError as error:
                assert error.location.startswith(path) or path.startswith(error.location), (path, error)
            checked += 1
    assert checked > (len(_ODD) + 1) * sum(len(finding) for finding in findings)


# The corpus a mutation test runs over: our own fixtures always, the external samples when they are present.
CORPORA = [
    pytest.param(False, id="own"),
    pytest.param(
        True,
        id="shared",
        marks=pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the checkout"),
    ),
]


@pytest.mark.parametrize("shared", CORPORA)
def test_mutated_findings_map_or_raise_a_source_error_at_the_changed_path(shared: bool) -> None:
    check_mutations(_asff_findings(shared=shared)[::3], _map)


def test_mapping_never_changes_the_finding() -> None:
    for finding in _asff_findings(shared=True):
        before = orjson.dumps(finding)
        _map(finding)
        assert orjson.dumps(finding) == before


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples are not checked out")
def test_every_shared_sample_maps() -> None:
    mapped = 0
    for path in sorted(SAMPLES.glob("*.json")):
        for finding in findings_in(path):
            source = securityhub_ocsf.SOURCE if "class_uid" in finding else securityhub.SOURCE
            assert source.detect(finding), path.name
            events = source.map(Finding(raw=finding))
            assert events, path.name
            assert all(e["finding.id"] and e["event.provider"] == "AWS Security Hub" for e in events)
            assert all(value != "" for e in events for value in e.values()), path.name
            mapped += len(events)
    assert mapped >= 50


def test_an_account_named_by_its_bare_id_gets_the_asff_form() -> None:
    (event,) = _map(_asff(Resources=[{"Type": "AwsAccount", "Id": ACCOUNT}]))
    assert (event["object.id"], event["aws.resource.id"]) == ("AWS::::Account:123456789012", ACCOUNT)
    (event,) = _map(_asff(Resources=[{"Type": "AwsAccount", "Id": "AWS::::Account:123456789012"}]))
    assert event["object.id"] == "AWS::::Account:123456789012"
