"""The Security Hub v2 OCSF mapper: recognition, routing by class, splitting and ASFF-spelled values."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.sources.test_securityhub import CORPORA, FIXTURES, SAMPLES, check_mutations, corpus, findings_in
from threatlake.errors import SourceError
from threatlake.model import Event
from threatlake.sources import securityhub_ocsf
from threatlake.sources.securityhub_ocsf import asff_type
from threatlake.sources.source import Finding

ACCOUNT = "123456789012"
V2_FIXTURE = FIXTURES / "own-eventbridge-imported-v2-ocsf-vulnerability-and-compliance.json"
GUARDDUTY_SAMPLE = SAMPLES / "sumologic-docs-eventbridge-findings-imported-v2-ocsf-guardduty.json"


def _map(raw: dict[str, Any], **envelope: Any) -> list[Event]:
    return securityhub_ocsf.SOURCE.map(Finding(raw=raw, **envelope))


def _ocsf(class_uid: int = 2004, **fields: Any) -> dict[str, Any]:
    """A small valid OCSF finding; ``fields`` replace or add top-level keys (None removes one)."""
    finding: dict[str, Any] = {
        "class_uid": class_uid,
        "metadata": {"product": {"name": "GuardDuty", "vendor_name": "AWS"}, "version": "1.6.0"},
        "cloud": {"account": {"uid": ACCOUNT}, "region": "us-east-1"},
        "finding_info": {
            "uid": "finding-1",
            "title": "t",
            "types": ["Threats", "AttackSequence:EC2/CompromisedInstanceGroup"],
            "created_time_dt": "2025-07-01T00:00:00.000Z",
            "modified_time_dt": "2025-07-02T00:00:00.000Z",
        },
        "severity": "Critical",
        "severity_id": 5,
        "status": "New",
        "resources": [{"type": "AWS::EC2::Instance", "uid": "i-0abc", "region": "us-east-1"}],
    }
    finding.update(fields)
    return {key: value for key, value in finding.items() if value is not None}


def test_detect_recognises_security_hub_v2_classes_only() -> None:
    assert all(securityhub_ocsf.SOURCE.detect(_ocsf(uid)) for uid in (2002, 2003, 2004, 2006))
    assert not securityhub_ocsf.SOURCE.detect(_ocsf(2005))
    assert not securityhub_ocsf.SOURCE.detect(_ocsf(metadata=None))
    assert not securityhub_ocsf.SOURCE.detect({**_ocsf(), "class_uid": "2004"})
    assert not securityhub_ocsf.SOURCE.detect({**_ocsf(), "class_uid": [2004]})
    assert not securityhub_ocsf.SOURCE.detect({"SchemaVersion": "2018-10-08", "ProductArn": "x", "Id": "a"})
    assert securityhub_ocsf.SOURCE.name == "securityhub_ocsf"
    assert securityhub_ocsf.SOURCE.provider == "AWS Security Hub"


@pytest.mark.parametrize(
    ("class_uid", "event_type"),
    [
        (2004, "DETECTION_FINDING"),
        (2003, "COMPLIANCE_FINDING"),
        (2002, "VULNERABILITY_FINDING"),
        (2006, "DETECTION_FINDING"),  # Data Security Finding (Macie), a detection as through ASFF
        (2005, None),
    ],
)
def test_routing_by_class(class_uid: int, event_type: str | None) -> None:
    resources = [{"type": "AWS::S3::Bucket", "uid": "a"}, {"type": "AWS::S3::Bucket", "uid": "b"}]
    events = _map(_ocsf(class_uid, resources=resources))
    assert [e["event.type"] for e in events] == [event_type] * (1 if event_type is None else 2)
    assert [e["object.id"] for e in events] == (["a"] if event_type is None else ["a", "b"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("AWS::IAM::AccessKey", "AwsIamAccessKey"),
        ("AWS::EC2::Instance", "AwsEc2Instance"),
        ("AWS::S3::Bucket", "AwsS3Bucket"),
        ("AWS::SQS::Queue", "AwsSqsQueue"),
        ("AWS::RDS::DBInstance", "AwsRdsDbInstance"),
        ("AWS::RDS::DBClusterSnapshot", "AwsRdsDbClusterSnapshot"),
        ("AWS::DynamoDB::Table", "AwsDynamoDbTable"),
        ("AWS::EC2::NetworkACL", "AwsEc2NetworkAcl"),
        ("AWS::EC2::VPC", "AwsEc2Vpc"),
        ("AWS::ECR::ContainerImage", "AwsEcrContainerImage"),
        ("AWS::Lambda::Function", "AwsLambdaFunction"),
        ("AWS::CloudTrail::Trail", "AwsCloudTrailTrail"),
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AwsElbv2LoadBalancer"),
        ("AWS::WAFv2::WebACL", "AwsWafv2WebAcl"),
        ("AWS::::Account", "AwsAccount"),
        ("AwsEc2Instance", "AwsEc2Instance"),
        ("Other", "Other"),
    ],
)
def test_resource_types_are_spelled_as_in_asff(given: str, expected: str) -> None:
    assert asff_type(given) == expected


# Vulnerability Finding (2002) -------------------------------------------------------------------------------


def test_vulnerability_finding_splits_per_affected_package() -> None:
    finding = findings_in(V2_FIXTURE)[0]
    events = _map(finding)
    assert [(e["component.name"], e["component.version"], e["component.fixed_version"]) for e in events] == [
        ("expat", "0:2.1.0-15.amzn2.0.4", "0:2.1.0-15.amzn2.0.5"),
        ("expat-devel", "0:2.1.0-15.amzn2.0.4", "0:2.1.0-15.amzn2.0.5"),
    ]
    event = events[0]
    assert {key: event[key] for key in event if key.startswith(("vulnerability.", "object.", "aws."))} == {
        "vulnerability.id": "CVE-2024-45490",
        "vulnerability.title": "CVE-2024-45490 - expat, expat-devel",
        "vulnerability.description": event["vulnerability.description"],
        "vulnerability.references.cve": ["CVE-2024-45490"],
        "vulnerability.cvss.base_score": 9.8,
        "vulnerability.cvss.version": "3.1",
        "vulnerability.exploit_available": "NO",
        "vulnerability.fix_available": "YES",
        "object.id": "arn:aws:ec2:us-east-2:123456789012:instance/i-0c9d8e7f6a5b4c3d2",
        "object.type": "AwsEc2Instance",
        "object.name": "search-indexer-1",
        "aws.resource.id": "arn:aws:ec2:us-east-2:123456789012:instance/i-0c9d8e7f6a5b4c3d2",
        "aws.resource.type": "AwsEc2Instance",
        "aws.resource.name": "search-indexer-1",
        "aws.account.id": ACCOUNT,
        "aws.region": "us-east-2",
        "aws.availability_zone": None,
    }
    assert (event["product.vendor"], event["product.name"]) == ("AWS", "Inspector")
    assert (event["finding.severity"], event["dt.security.risk.level"], event["dt.security.risk.score"]) == (
        "HIGH",
        "HIGH",
        8.9,
    )
    assert (event["finding.status"], event["finding.time.updated"]) == ("NEW", "2025-07-09T01:44:05.207Z")
    assert event["finding.types"] == [
        "Software and Configuration Checks/Vulnerabilities/CVE",
        "Vulnerabilities",
    ]


def test_ecr_image_vulnerability_is_a_container_image() -> None:
    image = {"repositoryName": "api", "imageHash": "sha256:ab", "imageTags": ["1.2.0"]}
    resource = {
        "type": "AWS::ECR::ContainerImage",
        "uid": "arn:aws:ecr:us-east-1:123456789012:repository/api/sha256:ab",
        "data": {"awsEcrContainerImageDetails": image},
    }
    vulns = [{"cve": {"uid": "CVE-1"}, "affected_packages": [{"name": "zlib", "version": "1.2.13"}]}]
    (event,) = _map(_ocsf(2002, resources=[resource], vulnerabilities=vulns))
    assert (event["object.type"], event["aws.resource.type"]) == ("CONTAINER_IMAGE", "AwsEcrContainerImage")
    assert (event["container_image.repository"], event["container_image.digest"]) == ("api", "sha256:ab")
    assert event["container_image.tags"] == ["1.2.0"]


@pytest.mark.parametrize(
    ("vulnerability", "fix"),
    [
        ({"fix_coverage": "Partial", "is_fix_available": True}, "PARTIAL"),
        ({"fix_coverage": "None"}, "NO"),
        ({"is_fix_available": True}, "YES"),
        ({"is_fix_available": "false"}, "NO"),
        ({}, None),
    ],
)
def test_fix_available(vulnerability: dict[str, Any], fix: str | None) -> None:
    (event,) = _map(_ocsf(2002, vulnerabilities=[{"cve": {"uid": "CVE-1"}, **vulnerability}]))
    assert event["vulnerability.fix_available"] == fix


def test_vulnerability_finding_without_vulnerabilities_is_one_event_per_resource() -> None:
    (event,) = _map(_ocsf(2002))
    assert (event["event.type"], event.get("vulnerability.id")) == ("VULNERABILITY_FINDING", None)


# Compliance Finding (2003) ----------------------------------------------------------------------------------


def test_compliance_finding_with_epoch_times_only() -> None:
    (event,) = _map(findings_in(V2_FIXTURE)[1])
    assert {key: event[key] for key in event if key.startswith(("rule.", "compliance.", "finding.r"))} == {
        "rule.id": "EC2.8",
        "rule.name": "EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)",
        "compliance.control": "EC2.8",
        "compliance.standards": [
            "standards/aws-foundational-security-best-practices/v/1.0.0",
            "standards/pci-dss/v/4.0.1",
        ],
        "compliance.requirements": ["NIST.800-53.r5 AC-3", "PCI DSS v4.0.1/2.2.6"],
        "compliance.status": "FAILED",
        "finding.result": "FAIL",
    }
    assert (event["finding.time.created"], event["finding.time.updated"]) == (
        "2025-06-14T16:20:11.045000000Z",
        "2025-07-09T01:50:37.662000000Z",
    )
    assert (event["finding.status"], event["object.id"]) == (
        "IN_PROGRESS",
        "arn:aws:ec2:us-east-2:123456789012:instance/i-0c9d8e7f6a5b4c3d2",
    )


@pytest.mark.parametrize(
    ("compliance", "status", "result"),
    [
        ({"status": "Pass", "status_id": 1}, "PASSED", "PASS"),
        ({"status": "Warning", "status_id": 2}, "WARNING", "MANUAL"),
        ({"status_id": 3}, "FAILED", "FAIL"),
        ({"status": "Fail"}, "FAILED", "FAIL"),
        ({"status": "Unknown", "status_id": 0}, "NOT_AVAILABLE", "MANUAL"),
        ({}, None, None),
    ],
)
def test_compliance_status_in_asff_words(
    compliance: dict[str, Any], status: str | None, result: str | None
) -> None:
    (event,) = _map(_ocsf(2003, compliance={"control": "S3.1", **compliance}))
    assert (event["compliance.status"], event["finding.result"]) == (status, result)


def test_rule_id_falls_back_to_the_analytic() -> None:
    info = {"uid": "f", "analytic": {"name": "securityhub-s3-bucket-ssl-requests-only-1a2b3c4d"}}
    (event,) = _map(_ocsf(2003, finding_info=info))
    assert (event["rule.id"], event["compliance.control"]) == (
        "securityhub-s3-bucket-ssl-requests-only-1a2b3c4d",
        None,
    )


# Detection Finding (2004) -----------------------------------------------------------------------------------


@pytest.mark.skipif(not GUARDDUTY_SAMPLE.is_file(), reason="shared samples are not checked out")
def test_guardduty_detection_from_the_shared_sample() -> None:
    (event,) = _map(findings_in(GUARDDUTY_SAMPLE)[0])
    assert (event["detection.type"], event["threat.purpose"]) == (
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "Stealth",
    )
    assert (event["finding.severity"], event["dt.security.risk.level"]) == ("LOW", "LOW")
    assert (event["finding.status"], event["finding.count"]) == ("SUPPRESSED", 264)
    assert (event["object.id"], event["object.type"], event["object.name"]) == (
        "ASIA4U76YS3TEOA3O",
        "AwsIamAccessKey",
        "cis_automation",
    )
    assert (event["product.vendor"], event["product.name"], event["aws.account.id"]) == (
        "AWS",
        "GuardDuty",
        "869728294964",
    )


def test_remote_ips_from_evidences_by_direction() -> None:
    evidences = [
        {
            "connection_info": {"direction": "Inbound", "direction_id": 1, "protocol_name": "tcp"},
            "src_endpoint": {"ip": "203.0.113.5", "port": 40112, "location": {"country": "BR"}},
            "dst_endpoint": {"ip": "10.0.0.4", "port": 22},
        },
        {
            "connection_info": {"direction": "Outbound"},
            "src_endpoint": {"ip": "10.0.0.4"},
            "dst_endpoint": {"ip": "192.0.2.9", "port": 443, "location": {"country": "DE"}},
        },
        {"api": {"operation": "ListBuckets"}, "src_endpoint": {"ip": "203.0.113.5"}},
        {"src_endpoint": {"uid": "malicious-domain.example.com"}},
    ]
    (event,) = _map(_ocsf(2004, evidences=evidences))
    assert event["actor.ips"] == ["203.0.113.5", "192.0.2.9"]
    assert (event["actor.geo.country.name"], event["network.direction"]) == ("BR", "INBOUND")
    assert (event["network.port"], event["network.protocol"]) == (22, "tcp")


def test_attack_sequence_types_name_the_guardduty_type() -> None:
    (event,) = _map(_ocsf(2004))
    assert (event["finding.type"], event["detection.type"]) == (
        "Threats",
        "AttackSequence:EC2/CompromisedInstanceGroup",
    )
    assert event["threat.purpose"] == "AttackSequence"
    assert (event["finding.severity"], event["dt.security.risk.score"]) == ("CRITICAL", 10.0)
    info = {"uid": "f", "types": ["Unusual Behaviors"]}
    (event,) = _map(_ocsf(2004, finding_info=info))
    assert (event["detection.type"], event["threat.purpose"]) == ("Unusual Behaviors", None)


# Common fields ----------------------------------------------------------------------------------------------


def test_severity_and_status_fall_back_to_each_other() -> None:
    (event,) = _map(_ocsf(severity=None, severity_id=2, status=None, status_id=4))
    assert (event["finding.severity"], event["dt.security.risk.level"], event["finding.status"]) == (
        "LOW",
        "LOW",
        "RESOLVED",
    )
    (event,) = _map(_ocsf(severity="High", severity_id=None))
    assert (event["finding.severity"], event["dt.security.risk.level"]) == ("HIGH", "HIGH")
    (event,) = _map(_ocsf(severity=None, severity_id=None))
    assert (event["finding.severity"], event["dt.security.risk.level"], event["dt.security.risk.score"]) == (
        None,
        "NOT_AVAILABLE",
        None,
    )


def test_update_time_falls_back_to_the_event_time_and_envelope_fills_gaps() -> None:
    info = {"uid": "f", "created_time": 1751328000000}
    (event,) = _map(
        _ocsf(finding_info=info, time=1751414400000, cloud=None), region="eu-west-3", account="999"
    )
    assert (event["finding.time.created"], event["finding.time.updated"]) == (
        "2025-07-01T00:00:00.000000000Z",
        "2025-07-02T00:00:00.000000000Z",
    )
    assert (event["aws.region"], event["aws.account.id"]) == ("us-east-1", "999")
    (event,) = _map(_ocsf(cloud=None, resources=None), region="eu-west-3")
    assert (event["aws.region"], event["object.id"]) == ("eu-west-3", None)


def test_instance_arn_is_built_only_when_region_and_account_are_known() -> None:
    (event,) = _map(_ocsf(cloud=None))
    assert event["object.id"] == "i-0abc"
    (event,) = _map(_ocsf())
    assert event["object.id"] == "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"finding_info": None}, "finding_info.uid"),
        ({"finding_info": {"title": "no uid"}}, "finding_info.uid"),
        ({"finding_info": []}, "finding_info"),
        ({"class_uid": "detection"}, "class_uid"),
        ({"severity_id": 2.5}, "severity_id"),
        ({"resources": [{"uid": "a"}, {"tags": [{"name": "Name"}, 5]}]}, "resources[1].tags[1]"),
        ({"evidences": [{"src_endpoint": {"location": "BR"}}]}, "evidences[0].src_endpoint.location"),
        ({"vulnerabilities": [{"affected_packages": "zlib"}]}, "vulnerabilities[0].affected_packages"),
        ({"compliance": {"standards": {"a": 1}}}, "compliance.standards"),
    ],
)
def test_a_malformed_finding_raises_a_located_source_error(change: dict[str, Any], location: str) -> None:
    class_uid = 2002 if "vulnerabilities" in change else 2003 if "compliance" in change else 2004
    finding = {key: value for key, value in {**_ocsf(class_uid), **change}.items() if value is not None}
    with pytest.raises(SourceError) as caught:
        _map(finding)
    assert caught.value.location == location


def _ocsf_findings(*, shared: bool = False) -> list[dict[str, Any]]:
    paths = corpus(shared=False) + (corpus(shared=True) if shared else [])
    found = [finding for path in paths for finding in findings_in(path) if "class_uid" in finding]
    return [
        *found,
        _ocsf(2004, evidences=[{"src_endpoint": {"ip": "203.0.113.5", "location": {"country": "BR"}}}]),
    ]


@pytest.mark.parametrize("shared", CORPORA)
def test_mutated_findings_map_or_raise_a_source_error_at_the_changed_path(shared: bool) -> None:
    check_mutations(_ocsf_findings(shared=shared), _map)


def test_mapping_never_changes_the_finding() -> None:
    for finding in _ocsf_findings(shared=True):
        before = orjson.dumps(finding)
        _map(finding)
        assert orjson.dumps(finding) == before


def test_created_falls_back_to_first_seen_then_updated() -> None:
    info = {"uid": "finding-1", "first_seen_time_dt": "2025-06-20T00:00:00.000Z"}
    info["modified_time_dt"] = "2025-07-02T00:00:00.000Z"
    (event,) = _map(_ocsf(finding_info=info))
    assert event["finding.time.created"] == "2025-06-20T00:00:00.000Z"
    del info["first_seen_time_dt"]
    (event,) = _map(_ocsf(finding_info=info))
    assert event["finding.time.created"] == "2025-07-02T00:00:00.000Z"


def test_vendor_is_spelled_as_the_other_paths_spell_it() -> None:
    metadata = {"product": {"name": "Inspector", "vendor_name": "Amazon"}, "version": "1.6.0"}
    (event,) = _map(_ocsf(metadata=metadata))
    assert event["product.vendor"] == "AWS"


def test_an_account_is_one_object_id_in_every_format() -> None:
    resource = {"type": "AWS::::Account", "uid": ACCOUNT}
    (event,) = _map(_ocsf(resources=[resource]))
    assert (event["object.type"], event["object.id"]) == ("AwsAccount", "AWS::::Account:123456789012")
    assert event["aws.resource.id"] == ACCOUNT  # as the finding wrote it
    (bare,) = _map(_ocsf(resources=None))
    assert (bare["object.type"], bare["object.id"]) == ("AwsAccount", "AWS::::Account:123456789012")


def test_a_container_resource_is_a_container_target() -> None:
    resource = {
        "type": "AWS::Container::Container",
        "uid": "c0ffee",
        "name": "web",
        "data": {"image": "registry.example.com:5000/team/web:1.2@sha256:abc"},
    }
    (event,) = _map(_ocsf(resources=[resource]))
    assert pick_container(event) == {
        "object.type": "CONTAINER",
        "object.id": "c0ffee",
        "aws.resource.type": "Container",
        "container.id": "c0ffee",
        "container.name": "web",
        "container.image.name": "registry.example.com:5000/team/web",
        "container.image.version": "1.2",
    }
    resource["data"] = {"uid": "c0ffee", "image": {"name": "web", "uid": "sha256:def"}}
    (event,) = _map(_ocsf(resources=[resource]))
    assert (event["container.image.name"], event["container.image.version"]) == ("web", "sha256:def")
    assert asff_type("AWS::Container::Container") == "Container"


def pick_container(event: Event) -> dict[str, Any]:
    keys = ("object.type", "object.id", "aws.resource.type")
    return {k: v for k, v in event.items() if k in keys or (k.startswith("container.") and v is not None)}
