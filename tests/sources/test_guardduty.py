"""The GuardDuty source: detection, the fields of each resource and action type, PascalCase, robustness."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threatlake.errors import SourceError
from threatlake.model import FIELDS, Event
from threatlake.sources import guardduty
from threatlake.sources.guardduty import SOURCE, camel_case
from threatlake.sources.source import Finding

FIXTURES = Path(__file__).parents[1] / "fixtures" / "findings" / "guardduty"
SHARED = Path(__file__).parents[3] / "shared" / "samples" / "guardduty"
OWN = sorted(path.name for path in FIXTURES.glob("own-*.json"))

# Set by this mapper outside the catalogue (Semantic Dictionary names, queryable as they are).
EXTRA_FIELDS = {"k8s.workload.name", "k8s.workload.kind"}
# Added by the pipeline, never by a mapper.
PIPELINE_FIELDS = {"timestamp", "event.id", "event.kind", "cloud.provider", "dt.system.bucket", "dt.raw_data"}


def load(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return raw["detail"] if "detail-type" in raw else raw


def events(raw: dict[str, Any], **envelope: Any) -> list[Event]:
    return SOURCE.map(Finding(raw, **envelope))


def one(name: str) -> Event:
    (event,) = events(load(name))
    return event


def pascal(value: Any) -> Any:
    """A camelCase finding spelled as boto3 ``get_findings`` returns it."""
    if isinstance(value, dict):
        return {
            ("SourceIps" if k == "sourceIPs" else k[:1].upper() + k[1:]): pascal(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [pascal(item) for item in value]
    return value


def shared_findings() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(SHARED.glob("*.json*")):
        text = path.read_text()
        if path.suffix == ".ndjson":
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            docs = [json.loads(text)]
        for index, doc in enumerate(docs):
            if doc == {"findings": []}:
                continue
            yield f"{path.name}[{index}]", doc.get("detail", doc)


def pick(event: Event, *prefixes: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k.startswith(prefixes) and v is not None}


# --- detect ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OWN)
def test_detects_every_own_fixture_in_both_spellings(name: str) -> None:
    assert SOURCE.detect(load(name))
    assert SOURCE.detect(pascal(load(name)))


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            {
                "SchemaVersion": "2018-10-08",
                "Id": "arn:aws:securityhub:us-east-1:123456789012:finding/1",
                "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
                "Types": ["TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller"],
                "Resources": [{"Type": "AwsIamAccessKey", "Id": "AWS::IAM::AccessKey:AKIAEXAMPLE"}],
                "AwsAccountId": "123456789012",
            },
            id="asff",
        ),
        pytest.param(
            {"SchemaVersion": "2018-10-08", "Type": "x", "Resource": {}, "Types": ["x"], "ProductArn": "p"},
            id="asff-with-a-singular-type-too",
        ),
        pytest.param(
            {"class_uid": 2004, "metadata": {"version": "1.5.0"}, "finding_info": {"uid": "1"}, "type": "x"},
            id="ocsf",
        ),
        pytest.param(
            {"version": "0", "detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": {}},
            id="an-envelope-is-not-a-finding",
        ),
        pytest.param({"schemaVersion": "2.0", "id": "1"}, id="camel-without-type"),
        pytest.param({"SchemaVersion": "2.0", "Type": "x"}, id="pascal-without-resource-service-account"),
        pytest.param({"id": "1", "type": "x", "resource": {}}, id="no-schema-version"),
        pytest.param({}, id="empty"),
    ],
)
def test_does_not_detect_other_formats(raw: dict[str, Any]) -> None:
    assert not SOURCE.detect(raw)


# --- fields every event carries -------------------------------------------------------------------


def test_common_fields_of_a_lambda_network_finding() -> None:
    event = one("own-lambda-network-activity.json")
    fid = "a4c2f8e1b3d54e6f9a7b8c9d0e1f2a3b"
    title = (
        "Lambda function invoice-renderer is querying an IP address that is associated with a known command "
        "and control server."
    )
    description = (
        "Lambda function invoice-renderer is communicating with IP address 203.0.113.77, which is associated "
        "with a known command and control server."
    )
    assert event == {
        "event.provider": "Amazon GuardDuty",
        "event.type": "DETECTION_FINDING",
        "event.name": title,
        "event.description": description,
        "product.vendor": "AWS",
        "product.name": "Amazon GuardDuty",
        "finding.id": fid,
        "finding.title": title,
        "finding.description": description,
        "finding.type": "Backdoor:Lambda/C&CActivity.B",
        "finding.severity": "HIGH",
        "finding.score": 8.0,
        "finding.time.created": "2025-06-03T09:14:22.517Z",
        "finding.time.updated": "2025-06-03T09:21:05.102Z",
        "finding.status": "ACTIVE",
        "finding.record_state": "ACTIVE",
        "finding.count": 1,
        "finding.url": "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1"
        f"#/findings?macros=current&fId={fid}",
        "dt.security.risk.level": "HIGH",
        "dt.security.risk.score": 8.9,
        "aws.account.id": "123456789012",
        "aws.region": "us-east-1",
        "aws.availability_zone": None,
        "detection.type": "Backdoor:Lambda/C&CActivity.B",
        "threat.purpose": "Backdoor",
        "actor.ips": ["203.0.113.77"],
        "actor.geo.country.name": "Netherlands",
        "network.direction": "OUTBOUND",
        "network.port": 443,
        "network.protocol": "TCP",
        "object.id": "arn:aws:lambda:us-east-1:123456789012:function:invoice-renderer",
        "object.name": "invoice-renderer",
        "object.type": "AwsLambdaFunction",
        "aws.resource.id": "arn:aws:lambda:us-east-1:123456789012:function:invoice-renderer",
        "aws.resource.type": "AwsLambdaFunction",
        "aws.resource.name": "invoice-renderer",
    }


def _every_event() -> Iterator[tuple[str, Event]]:
    for name in OWN:
        for event in events(load(name)):
            yield name, event
    if SHARED.is_dir():
        for name, raw in shared_findings():
            for event in events(raw):
                yield name, event


def test_events_use_catalogue_names_never_pipeline_fields_nor_empty_strings() -> None:
    for name, event in _every_event():
        assert set(event) <= set(FIELDS) | EXTRA_FIELDS, name
        assert not set(event) & PIPELINE_FIELDS, name
        assert "" not in event.values(), name
        assert event["event.type"] == "DETECTION_FINDING", name
        assert all(isinstance(ip, str) and ip for ip in event["actor.ips"] or []), name


@pytest.mark.parametrize("name", OWN)
def test_the_finding_is_never_mutated(name: str) -> None:
    raw = load(name)
    before = copy.deepcopy(raw)
    events(raw)
    events(pascal(raw))
    assert raw == before


# --- severity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "score", "level"),
    [
        ("own-severity-03_9.json", 3.9, "LOW"),
        ("own-severity-04_0.json", 4.0, "MEDIUM"),
        ("own-severity-06_9.json", 6.9, "MEDIUM"),
        ("own-severity-07_0.json", 7.0, "HIGH"),
        ("own-severity-08_9.json", 8.9, "HIGH"),
        ("own-severity-09_0.json", 9.0, "CRITICAL"),
        ("own-severity-10_0.json", 10.0, "CRITICAL"),
        ("own-port-probe-multi.json", 2.0, "LOW"),
        ("own-attack-sequence-eventbridge.json", 9.2, "CRITICAL"),
    ],
)
def test_severity_bands(name: str, score: float, level: str) -> None:
    # finding.score is GuardDuty's own severity; the normalized score is the level's, as on every path.
    level_score = {"CRITICAL": 10.0, "HIGH": 8.9, "MEDIUM": 6.9, "LOW": 3.9}[level]
    for event in events(load(name)):
        assert pick(event, "finding.severity", "finding.score", "dt.security.risk") == {
            "finding.severity": level,
            "finding.score": score,
            "dt.security.risk.level": level,
            "dt.security.risk.score": level_score,
        }


@pytest.mark.parametrize(("severity", "level"), [(0.5, "NONE"), (0, "NONE"), ("7.5", "HIGH")])
def test_severity_below_one_and_as_text(severity: Any, level: str) -> None:
    raw = load("own-severity-03_9.json") | {"severity": severity}
    (event,) = events(raw)
    assert (event["finding.severity"], event["dt.security.risk.level"]) == (level, level)


@pytest.mark.parametrize(
    ("severity", "score", "level"),
    [(-1, 0.0, "NONE"), (101, 10.0, "CRITICAL"), (1e308, 10.0, "CRITICAL"), (2**70, 10.0, "CRITICAL")],
)
def test_severity_out_of_range_is_clamped_to_0_10(severity: Any, score: float, level: str) -> None:
    raw = load("own-severity-03_9.json") | {"severity": severity}
    (event,) = events(raw)
    assert pick(event, "finding.score", "dt.security.risk") == {
        "finding.score": score,
        "dt.security.risk.level": level,
        "dt.security.risk.score": score,  # 0.0 and 10.0 are the NONE and CRITICAL scores too
    }


def test_a_finding_without_severity_is_not_available() -> None:
    raw = load("own-severity-03_9.json")
    del raw["severity"]
    (event,) = events(raw)
    assert pick(event, "finding.severity", "finding.score", "dt.security.risk") == {
        "dt.security.risk.level": "NOT_AVAILABLE"
    }


# --- times, status, envelope fallbacks ------------------------------------------------------------


def test_epoch_timestamps_are_converted_and_strings_kept_as_given() -> None:
    event = one("own-epoch-timestamps.json")
    assert event["finding.time.created"] == "2025-06-03T08:31:02.500000000Z"  # 1.7489394625E9 seconds
    assert event["finding.time.updated"] == "2025-06-03T08:41:02.517000000Z"  # 1748940062517 ms
    assert one("own-dns-request.json")["finding.time.created"] == "2025-06-03T09:14:22.517Z"


def test_an_unreadable_epoch_is_absent() -> None:
    raw = load("own-epoch-timestamps.json") | {"createdAt": 1e300}
    raw["service"] = {key: value for key, value in raw["service"].items() if key != "eventFirstSeen"}
    (event,) = events(raw)
    assert event["finding.time.created"] == event["finding.time.updated"]  # the fallback
    (event,) = events(raw | {"updatedAt": 1e300})
    assert (event["finding.time.created"], event["finding.time.updated"]) == (None, None)


def test_archived_finding() -> None:
    event = one("own-archived-accesskey.json")
    assert (event["finding.status"], event["finding.record_state"], event["finding.count"]) == (
        "ARCHIVED",
        "ARCHIVED",
        3,
    )


def test_region_and_account_fall_back_to_the_envelope() -> None:
    raw = load("own-rds-login.json")
    del raw["region"], raw["accountId"]
    (event,) = events(raw, region="ap-south-1", account="210987654321")
    assert (event["aws.region"], event["aws.account.id"]) == ("ap-south-1", "210987654321")
    assert event["object.id"] == "arn:aws:rds:ap-south-1:210987654321:db:orders-db-1"
    assert event["finding.url"].startswith("https://ap-south-1.console.aws.amazon.com/guardduty/home?")
    (bare,) = events(raw)
    assert (bare["aws.region"], bare["finding.url"], bare["object.id"]) == (None, None, None)


def test_missing_id_is_an_error() -> None:
    raw = load("own-dns-request.json")
    del raw["id"]
    with pytest.raises(SourceError) as caught:
        events(raw)
    assert caught.value.location == "id"


# --- resources ------------------------------------------------------------------------------------


INSTANCE_ARN = "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f67890"


def test_instance() -> None:
    event = one("own-ec2-runtime.json")
    assert pick(event, "object.", "aws.resource.", "aws.availability_zone") == {
        "object.id": INSTANCE_ARN,
        "object.name": "web-frontend-1",  # the Name tag
        "object.type": "AwsEc2Instance",
        "aws.resource.id": INSTANCE_ARN,
        "aws.resource.type": "AwsEc2Instance",
        "aws.resource.name": "web-frontend-1",
        "aws.availability_zone": "us-east-1b",
    }
    assert not pick(event, "container.", "k8s.")


def test_instance_without_tags_is_named_by_its_id() -> None:
    event = one("own-severity-09_0.json")
    assert (event["object.id"], event["object.name"]) == (INSTANCE_ARN, "i-0a1b2c3d4e5f67890")


def test_access_key() -> None:
    event = one("own-archived-accesskey.json")
    assert pick(event, "object.", "aws.resource.") == {
        "object.id": "AKIAEXAMPLEKEY000007",
        "object.name": "build-bot",
        "object.type": "AwsIamAccessKey",
        "aws.resource.id": "AKIAEXAMPLEKEY000007",
        "aws.resource.type": "AwsIamAccessKey",
        "aws.resource.name": "build-bot",
    }


def test_one_event_per_bucket() -> None:
    first, second = events(load("own-s3-two-buckets.json"))
    assert pick(first, "object.") == {
        "object.id": "arn:aws:s3:::acme-finance-reports",
        "object.name": "acme-finance-reports",
        "object.type": "AwsS3Bucket",
    }
    assert pick(second, "object.") == {  # no arn in the finding: built from the name
        "object.id": "arn:aws:s3:::acme-finance-archive",
        "object.name": "acme-finance-archive",
        "object.type": "AwsS3Bucket",
    }
    assert first["finding.id"] == second["finding.id"]
    assert first["actor.ips"] == second["actor.ips"] == ["198.51.100.210"]


def test_s3_object_from_malware_protection_for_s3() -> None:
    event = one("own-s3-malware-object.json")
    arn = "arn:aws:s3:::acme-customer-uploads/inbound/2025/06/03/statement.pdf.exe"
    assert pick(event, "object.", "aws.resource.") == {
        "object.id": arn,
        "object.name": "inbound/2025/06/03/statement.pdf.exe",
        "object.type": "AwsS3Object",
        "aws.resource.id": arn,
        "aws.resource.type": "AwsS3Object",
        "aws.resource.name": "inbound/2025/06/03/statement.pdf.exe",
    }


def test_s3_object_arn_is_built_from_bucket_and_key() -> None:
    raw = load("own-s3-malware-object.json")
    del raw["resource"]["s3BucketDetails"][0]["s3ObjectDetails"][0]["objectArn"]
    (event,) = events(raw)
    assert event["object.id"] == "arn:aws:s3:::acme-customer-uploads/inbound/2025/06/03/statement.pdf.exe"


EKS_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/payments-prod"
POD = {
    "k8s.cluster.name": "payments-prod",
    "k8s.namespace.name": "checkout",
    "k8s.pod.name": "checkout-api-7c9d8f6b5-x2k4p",
    "k8s.pod.uid": "3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
    "k8s.workload.name": "checkout-api-7c9d8f6b5-x2k4p",
    "k8s.workload.kind": "pods",
}


def test_eks_runtime_one_container_event_per_container() -> None:
    api, envoy = events(load("own-eks-runtime-containers.json"))
    api_id = "8c1f9e2d3b4a5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"
    assert pick(api, "object.", "aws.resource.", "container.", "k8s.") == {
        "object.id": api_id,
        "object.name": "checkout-api",
        "object.type": "CONTAINER",
        "aws.resource.id": EKS_ARN,
        "aws.resource.type": "AwsEksCluster",
        "aws.resource.name": "payments-prod",
        "container.id": api_id,
        "container.name": "checkout-api",
        "container.image.name": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api",
        "container.image.version": "2.14.1",
        **POD,
    }
    assert envoy["object.type"] == "CONTAINER"
    assert envoy["container.name"] == "envoy"
    assert envoy["container.image.name"] == "public.ecr.aws/envoyproxy/envoy"
    assert envoy["container.image.version"] == (  # no tag: the digest
        "sha256:4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
    )
    assert pick(envoy, "k8s.") == POD
    assert api["aws.availability_zone"] == envoy["aws.availability_zone"] == "eu-west-1a"


def test_eks_audit_finding_without_workload_is_the_cluster() -> None:
    event = one("own-kubernetes-api-call.json")
    assert pick(event, "object.", "container.", "k8s.") == {
        "object.id": EKS_ARN,
        "object.name": "payments-prod",
        "object.type": "AwsEksCluster",
        "k8s.cluster.name": "payments-prod",
    }


def test_eks_workload_that_is_not_a_pod_has_no_pod_fields() -> None:
    raw = load("own-eks-runtime-containers.json")
    raw["resource"]["kubernetesDetails"]["kubernetesWorkloadDetails"]["type"] = "deployments"
    del raw["resource"]["kubernetesDetails"]["kubernetesWorkloadDetails"]["containers"]
    (event,) = events(raw)
    assert event["object.type"] == "AwsEksCluster"
    assert pick(event, "k8s.") == {
        "k8s.cluster.name": "payments-prod",
        "k8s.namespace.name": "checkout",
        "k8s.workload.name": "checkout-api-7c9d8f6b5-x2k4p",
        "k8s.workload.kind": "deployments",
    }


def test_ecs_runtime_one_container_event_per_task_container() -> None:
    builder, router = events(load("own-ecs-runtime-containers.json"))
    cluster = {
        "aws.resource.id": "arn:aws:ecs:us-west-2:123456789012:cluster/batch-workers",
        "aws.resource.type": "AwsEcsCluster",
        "aws.resource.name": "batch-workers",
    }
    assert pick(builder, "object.", "aws.resource.", "container.") == {
        "object.id": "5e8f0a2b4c6d48e0a1b3c5d7e9f1a3b5-1234567890",
        "object.name": "report-builder",
        "object.type": "CONTAINER",
        **cluster,
        "container.id": "5e8f0a2b4c6d48e0a1b3c5d7e9f1a3b5-1234567890",
        "container.name": "report-builder",
        "container.image.name": "123456789012.dkr.ecr.us-west-2.amazonaws.com/report-builder",
        "container.image.version": "release-2025.06.1",
    }
    assert pick(router, "aws.resource.") == cluster
    assert (router["container.image.name"], router["container.image.version"]) == (
        "public.ecr.aws/aws-observability/aws-for-fluent-bit",
        "stable",
    )


def test_ecs_container_without_runtime_id_is_identified_under_its_task() -> None:
    raw = load("own-ecs-runtime-containers.json")
    for container in raw["resource"]["ecsClusterDetails"]["taskDetails"]["containers"]:
        del container["id"]
    ids = [event["object.id"] for event in events(raw)]
    task = "arn:aws:ecs:us-west-2:123456789012:task/batch-workers/5e8f0a2b4c6d48e0a1b3c5d7e9f1a3b5"
    assert ids == [f"{task}/report-builder", f"{task}/log-router"]


def test_ecs_cluster_without_containers_is_the_cluster() -> None:
    raw = load("own-ecs-runtime-containers.json")
    del raw["resource"]["ecsClusterDetails"]["taskDetails"]
    (event,) = events(raw)
    assert pick(event, "object.") == {
        "object.id": "arn:aws:ecs:us-west-2:123456789012:cluster/batch-workers",
        "object.name": "batch-workers",
        "object.type": "AwsEcsCluster",
    }


def test_container_resource_on_an_instance() -> None:
    raw = {
        "schemaVersion": "2.0",
        "id": "c0ffee",
        "type": "PrivilegeEscalation:Runtime/DockerSocketAccessed",
        "region": "us-east-1",
        "accountId": "123456789012",
        "resource": {
            "resourceType": "Container",
            "instanceDetails": {"instanceId": "i-0a1b2c3d4e5f67890"},
            "containerDetails": {
                "id": "abc123",
                "name": "builder",
                "image": "registry.local:5000/tools/builder",
            },
        },
    }
    (event,) = events(raw)
    assert pick(event, "object.", "aws.resource.", "container.") == {
        "object.id": "abc123",
        "object.name": "builder",
        "object.type": "CONTAINER",
        "aws.resource.id": INSTANCE_ARN,
        "aws.resource.type": "AwsEc2Instance",
        "aws.resource.name": "i-0a1b2c3d4e5f67890",
        "container.id": "abc123",
        "container.name": "builder",
        "container.image.name": "registry.local:5000/tools/builder",  # a port is not a tag
    }


def test_rds_instance_arn_is_built_when_not_given() -> None:
    event = one("own-rds-login.json")
    assert pick(event, "object.") == {
        "object.id": "arn:aws:rds:eu-central-1:123456789012:db:orders-db-1",
        "object.name": "orders-db-1",
        "object.type": "AwsRdsDbInstance",
    }


def test_rds_limitless_database_is_its_db_cluster() -> None:
    event = one("own-rds-limitless.json")
    assert pick(event, "object.", "aws.resource.") == {
        "object.id": "arn:aws:rds:us-east-2:123456789012:cluster:ledger-limitless",
        "object.name": "ledger-limitless",
        "object.type": "AwsRdsDbCluster",
        "aws.resource.id": "arn:aws:rds:us-east-2:123456789012:cluster:ledger-limitless",
        "aws.resource.type": "AwsRdsDbCluster",
        "aws.resource.name": "ledger-limitless",
    }


def test_rds_limitless_without_cluster_falls_back_to_the_shard_group() -> None:
    raw = load("own-rds-limitless.json")
    del raw["resource"]["rdsLimitlessDbDetails"]["dbClusterIdentifier"]
    (event,) = events(raw)
    assert (event["object.id"], event["object.name"]) == (
        "arn:aws:rds:us-east-2:123456789012:shard-group:shardgroup-0a1b2c3d4e5f67890",
        "ledger-shard-group",
    )


def test_ebs_malware_scan_with_epoch_float_scan_times() -> None:
    event = one("own-ebs-malware-instance.json")
    assert pick(event, "object.") == {
        "object.id": INSTANCE_ARN,
        "object.name": "web-frontend-1",
        "object.type": "AwsEc2Instance",
    }
    assert event["actor.ips"] is None


def test_attack_sequence_one_event_per_involved_resource() -> None:
    access_key, bucket, instance = events(load("own-attack-sequence-eventbridge.json"))
    assert [pick(e, "object.") for e in (access_key, bucket, instance)] == [
        {"object.id": "AKIAEXAMPLEKEY000001", "object.name": "jdoe", "object.type": "AwsIamAccessKey"},
        {
            "object.id": "arn:aws:s3:::acme-finance-reports",
            "object.name": "acme-finance-reports",
            "object.type": "AwsS3Bucket",
        },
        {"object.id": INSTANCE_ARN, "object.name": "web-frontend-1", "object.type": "AwsEc2Instance"},
    ]
    for event in (access_key, bucket, instance):
        assert event["finding.type"] == "AttackSequence:IAM/CompromisedCredentials"
        assert event["threat.purpose"] == "AttackSequence"
        assert event["actor.ips"] == ["203.0.113.45", "192.0.2.81"]
        assert event["actor.geo.country.name"] == "Germany"


@pytest.mark.parametrize("resource", [{"resourceType": "AttackSequence"}, None], ids=["typed", "absent"])
def test_attack_sequence_without_resources_is_the_account(resource: dict[str, Any] | None) -> None:
    raw = load("own-attack-sequence-eventbridge.json")
    del raw["service"]["detection"]["sequence"]["resources"]
    if resource is None:
        del raw["resource"]
    (event,) = events(raw)
    assert pick(event, "object.", "aws.resource.") == {
        "object.id": "AWS::::Account:123456789012",
        "object.name": "123456789012",
        "object.type": "AwsAccount",
        "aws.resource.id": "AWS::::Account:123456789012",
        "aws.resource.type": "AwsAccount",
        "aws.resource.name": "123456789012",
    }
    assert event["finding.severity"] == "CRITICAL"


def test_unknown_resource_type_is_other_identified_by_an_arn() -> None:
    event = one("own-unknown-resource-type.json")
    snapshot = "arn:aws:ec2:us-east-1:123456789012:snapshot/snap-0c1d2e3f4a5b69788"
    assert pick(event, "object.", "aws.resource.") == {
        "object.id": snapshot,
        "object.type": "Other",
        "aws.resource.id": snapshot,
        "aws.resource.type": "Other",
    }


def test_a_finding_without_resource_falls_back_to_the_account_like_attack_sequences() -> None:
    raw = load("own-dns-request.json")
    del raw["resource"]
    (event,) = events(raw)
    account = {"object.id": "AWS::::Account:123456789012", "object.name": "123456789012"}
    assert pick(event, "object.") == account | {"object.type": "AwsAccount"}
    assert event["aws.availability_zone"] is None
    (sequence,) = events(load("own-attack-sequence-eventbridge.json") | {"service": {}})
    assert pick(sequence, "object.") == pick(event, "object.")


def test_a_resource_without_resource_type_is_the_one_its_details_imply() -> None:
    raw = load("own-dns-request.json")
    typed = events(raw)
    untyped = events(raw | {"resource": {k: v for k, v in raw["resource"].items() if k != "resourceType"}})
    assert raw["resource"]["resourceType"] == "Instance"
    assert [pick(e, "object.", "aws.resource") for e in untyped] == [
        pick(e, "object.", "aws.resource") for e in typed
    ]
    assert untyped[0]["object.id"].startswith("arn:aws:ec2:")


# --- actions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "own-ec2-runtime.json",
            {
                "actor.ips": ["198.51.100.23"],
                "actor.geo.country.name": "Germany",
                "network.direction": "OUTBOUND",
                "network.port": 8443,  # outbound: the remote port
                "network.protocol": "TCP",
            },
            id="network-connection-outbound",
        ),
        pytest.param(
            "own-severity-07_0.json",
            {
                "actor.ips": ["198.51.100.61"],
                "actor.geo.country.name": "Vietnam",
                "network.direction": "INBOUND",
                "network.port": 22,  # inbound: the local port
                "network.protocol": "TCP",
            },
            id="network-connection-inbound",
        ),
        pytest.param(
            "own-port-probe-multi.json",
            {
                "actor.ips": ["198.51.100.5", "198.51.100.6", "203.0.113.9"],  # each once, in order
                "actor.geo.country.name": "China",
                "network.direction": "INBOUND",
                "network.port": 22,
            },
            id="port-probe",
        ),
        pytest.param("own-dns-request.json", {"network.protocol": "UDP"}, id="dns-request"),
        pytest.param(
            "own-archived-accesskey.json",
            {"actor.ips": ["192.0.2.200", "2001:db8::c8"], "actor.geo.country.name": "Canada"},
            id="aws-api-call-ipv4-and-ipv6",
        ),
        pytest.param(
            "own-kubernetes-api-call.json",
            {"actor.ips": ["203.0.113.200", "10.40.0.12"], "actor.geo.country.name": "Brazil"},
            id="kubernetes-api-call-with-source-ips",
        ),
        pytest.param(
            "own-rds-login.json",
            {"actor.ips": ["192.0.2.144"], "actor.geo.country.name": "Romania"},
            id="rds-login-attempt",
        ),
        pytest.param("own-eks-runtime-containers.json", {}, id="runtime-without-action"),
    ],
)
def test_action_fields(name: str, expected: dict[str, Any]) -> None:
    for event in events(load(name)):
        assert pick(event, "actor.", "network.") == expected


# --- PascalCase -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OWN)
def test_pascal_case_maps_exactly_like_camel_case(name: str) -> None:
    raw = load(name)
    assert events(pascal(raw)) == events(raw)


@pytest.mark.parametrize(
    ("key", "camel"),
    [
        ("EksClusterDetails", "eksClusterDetails"),
        ("S3BucketDetails", "s3BucketDetails"),
        ("IpAddressV4", "ipAddressV4"),
        ("Ipv6Addresses", "ipv6Addresses"),
        ("ETag", "eTag"),
        ("HostIPC", "hostIPC"),
        ("SourceIps", "sourceIPs"),
        ("DNSRequestAction", "dnsRequestAction"),
        ("ID", "id"),
        ("AWS::S3::Bucket", "AWS::S3::Bucket"),
        ("alreadyCamel", "alreadyCamel"),
    ],
)
def test_pascal_keys(key: str, camel: str) -> None:
    assert camel_case({key: {key: [{key: 1}]}}) == {camel: {camel: [{camel: 1}]}}


def test_pascal_case_errors_are_located_in_pascal_case() -> None:
    raw = pascal(load("own-kubernetes-api-call.json"))
    raw["Service"]["Action"]["KubernetesApiCallAction"]["SourceIps"][1] = {"ip": "10.40.0.12"}
    with pytest.raises(SourceError) as caught:
        events(raw)
    assert caught.value.location == "Service.Action.KubernetesApiCallAction.SourceIps[1]"


def test_pascal_case_missing_id_is_located_in_pascal_case() -> None:
    raw = pascal(load("own-dns-request.json"))
    raw["Id"] = None
    with pytest.raises(SourceError) as caught:
        events(raw)
    assert caught.value.location == "Id"


def test_a_pathologically_deep_pascal_finding_is_a_source_error() -> None:
    deep: dict[str, Any] = {"Leaf": 1}
    for _ in range(5000):
        deep = {"Nested": deep}
    with pytest.raises(SourceError):
        events({"SchemaVersion": "2.0", "Id": "1", "Type": "x", "Resource": deep})


# --- robustness -----------------------------------------------------------------------------------

WRONG_VALUES: tuple[Any, ...] = (None, "", "text", 7, 2.5, True, [], [None], ["text"], [7], {}, {"x": 1})


def _paths(value: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, container, key) for every value in a finding, paths spelled as SourceError locations."""
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{key}" if path else key
            yield at, value, key
            yield from _paths(item, at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            at = f"{path}[{index}]"
            yield at, value, index
            yield from _paths(item, at)


@pytest.mark.parametrize("name", OWN)
def test_mutated_findings_map_or_raise_a_located_source_error(name: str) -> None:
    raw = load(name)
    for path, _, _ in list(_paths(raw)):
        for wrong in (*WRONG_VALUES, "delete"):
            mutated = copy.deepcopy(raw)
            container, key = next((c, k) for p, c, k in _paths(mutated) if p == path)
            if wrong == "delete":
                if isinstance(container, list):
                    continue
                del container[key]
            else:
                container[key] = wrong
            try:
                result = events(mutated)
            except SourceError as error:
                # The error names the value that was changed, or a part of it.
                assert error.location == path or error.location.startswith((f"{path}[", f"{path}.")), (
                    path,
                    wrong,
                    error.location,
                )
            else:
                assert isinstance(result, list) and result, (path, wrong)


@pytest.mark.parametrize("name", ["own-eks-runtime-containers.json", "own-attack-sequence-eventbridge.json"])
def test_truncated_findings_map_or_raise_a_source_error(name: str) -> None:
    text = json.dumps(load(name))
    for end in range(1, len(text), 7):
        try:
            raw = json.loads(text[:end] + "}" * 20)
        except json.JSONDecodeError:
            continue
        if isinstance(raw, dict):
            with contextlib.suppress(SourceError):  # anything else fails the test
                events(raw)


@pytest.mark.parametrize(
    ("name", "entries", "wrong", "location"),
    [
        (
            "own-port-probe-multi.json",
            ("service", "action", "portProbeAction", "portProbeDetails"),
            ("remoteIpDetails", "ipAddressV4"),
            "service.action.portProbeAction.portProbeDetails[1].remoteIpDetails.ipAddressV4",
        ),
        (
            "own-ecs-runtime-containers.json",
            ("resource", "ecsClusterDetails", "taskDetails", "containers"),
            ("image",),
            "resource.ecsClusterDetails.taskDetails.containers[1].image",
        ),
        (
            "own-ec2-runtime.json",
            ("resource", "instanceDetails", "tags"),
            ("value",),
            "resource.instanceDetails.tags[1].value",
        ),
    ],
)
def test_errors_after_a_null_entry_name_the_entry_by_its_index_in_the_finding(
    name: str, entries: tuple[str, ...], wrong: tuple[str, ...], location: str
) -> None:
    raw = load(name)
    parent: Any = raw
    for key in entries:
        parent = parent[key]
    parent[0] = None
    target = parent[1]
    for key in wrong[:-1]:
        target = target[key]
    target[wrong[-1]] = {"not": "a string"}
    with pytest.raises(SourceError) as caught:
        events(raw)
    assert caught.value.location == location


@pytest.mark.parametrize("wrong", [[], "x", 3], ids=["list", "text", "number"])
def test_wrongly_typed_blocks_are_located(wrong: Any) -> None:
    for key in ("resource", "service"):
        raw = load("own-dns-request.json") | {key: wrong}
        with pytest.raises(SourceError) as caught:
            events(raw)
        assert caught.value.location == key


# --- the shared corpus ----------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared sample corpus is not beside the repository")
def test_every_shared_sample_is_detected_and_maps() -> None:
    seen = 0
    for name, raw in shared_findings():
        assert SOURCE.detect(raw), name
        mapped = events(raw)
        assert mapped, name
        assert all(event["finding.id"] for event in mapped), name
        seen += 1
    assert seen >= 25


def test_module_keeps_its_registry_shape() -> None:
    assert guardduty.SOURCE.name == "guardduty"
    assert guardduty.SOURCE.provider == "Amazon GuardDuty"


def test_created_falls_back_to_first_seen_then_updated() -> None:
    raw = load("own-severity-03_9.json")
    del raw["createdAt"]
    raw["service"] = {**raw["service"], "eventFirstSeen": "2025-06-01T07:00:00.000Z"}
    (event,) = events(raw)
    assert event["finding.time.created"] == "2025-06-01T07:00:00.000Z"
    del raw["service"]["eventFirstSeen"]
    (event,) = events(raw)
    assert event["finding.time.created"] == raw["updatedAt"]
