"""AWS Security Hub findings in ASFF (the AWS Security Finding Format): recognition, routing, common fields.

A finding yields one event per affected resource (model.md §4). ``Types[0]`` picks the event type from
``_ROUTES``; ``_ROWS`` gives each event type its finding-wide fields as rows, and every row is merged into the
event of every resource (a vulnerability finding has one row per vulnerability × vulnerable package). An
unmapped finding (``event.type`` null) yields exactly one event, about its first resource.

Decisions where model.md is silent:
- Routing compares whole path segments, so a type that stops at the category (Control Tower writes
  ``Software and Configuration Checks/Industry and Regulatory Standards``) routes like one with a classifier.
- A detection or vulnerability finding that carries a ``Compliance`` block also gets the compliance fields:
  FSBP files some control findings under ``Effects/Data Exposure/…`` and ``compliance.*`` should see them.
- ``object.id`` of an ``AwsIamAccessKey`` is the bare access key id (ASFF writes
  ``AWS::IAM::AccessKey:AKIA…``), the id GuardDuty and Security Hub v2 use; ``aws.resource.id`` keeps ``Id``.
- ``object.name``: the resource's own name in its ``Details`` (``_NAME_KEYS``), else its ``Name`` tag, else
  the last segment of its id; an ECR image is ``repository:tag`` (``repository@digest`` without a tag).
- ``product.*`` without ``CompanyName``/``ProductName``: the ``product/<company>/<product>`` part of
  ``ProductArn``, AWS's own products under their console names (``_AWS_PRODUCTS``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from threatlake.errors import SourceError
from threatlake.model import LEVEL_SCORE, Event, EventType, Provider, RiskLevel, asff_level, object_id
from threatlake.sources.guardduty_resources import account_target, split_image
from threatlake.sources.reader import bounded_score, obj, objs, text, texts
from threatlake.sources.securityhub_compliance import asff_compliance
from threatlake.sources.securityhub_detection import asff_detection
from threatlake.sources.securityhub_vulnerability import asff_image, asff_vulnerabilities
from threatlake.sources.source import Finding, Source

__all__ = ["LEVEL_LABEL", "SOURCE", "route", "vendor"]

_ROUTES: tuple[tuple[str, EventType], ...] = (
    ("Software and Configuration Checks/Vulnerabilities", EventType.VULNERABILITY),
    ("Software and Configuration Checks/Industry and Regulatory Standards", EventType.COMPLIANCE),
    ("TTPs", EventType.DETECTION),
    ("Effects", EventType.DETECTION),
    ("Unusual Behaviors", EventType.DETECTION),
    # Sensitive data found where it should not be is a detection, as Security Hub v2 classes it (OCSF Data
    # Security Finding): so a Macie finding routes alike through ASFF and OCSF.
    ("Sensitive Data Identifications", EventType.DETECTION),
)
# Products whose every finding is a detection, whatever its type (Macie's policy findings use
# ``Software and Configuration Checks/AWS Security Best Practices``; Security Hub v2 sends them as
# detections).
_PRODUCT_ROUTES: dict[str, EventType] = {"Macie": EventType.DETECTION}

_ROWS: dict[EventType, Callable[[dict[str, Any]], list[Event]]] = {
    EventType.DETECTION: lambda raw: [asff_detection(raw)],
    EventType.VULNERABILITY: asff_vulnerabilities,
    EventType.COMPLIANCE: lambda raw: [asff_compliance(raw)],
}

# The ASFF label of a level, for a finding that has only Severity.Normalized.
LEVEL_LABEL: dict[RiskLevel, str | None] = {
    RiskLevel.CRITICAL: "CRITICAL",
    RiskLevel.HIGH: "HIGH",
    RiskLevel.MEDIUM: "MEDIUM",
    RiskLevel.LOW: "LOW",
    RiskLevel.NONE: "INFORMATIONAL",
    RiskLevel.NOT_AVAILABLE: None,
}

# ProductArn ``product/aws/<slug>`` → the product's name as CompanyName/ProductName spell it.
_AWS_PRODUCTS = {
    "securityhub": "Security Hub",
    "default": "Security Hub",
    "guardduty": "GuardDuty",
    "inspector": "Inspector",
    "macie": "Macie",
    "config": "Config",
    "access-analyzer": "IAM Access Analyzer",
    "health": "Health",
    "firewall-manager": "Firewall Manager",
    "ssm-patch-manager": "Systems Manager Patch Manager",
    "detective": "Detective",
}

# Resources[].Details.<Type> keys that hold the resource's own name, in order of preference.
_NAME_KEYS: dict[str, tuple[str, ...]] = {
    "AwsIamAccessKey": ("PrincipalName", "UserName"),
    "AwsIamUser": ("UserName",),
    "AwsIamRole": ("RoleName",),
    "AwsIamGroup": ("GroupName",),
    "AwsIamPolicy": ("PolicyName",),
    "AwsLambdaFunction": ("FunctionName",),
    "AwsRdsDbInstance": ("DBInstanceIdentifier",),
    "AwsRdsDbCluster": ("DbClusterIdentifier",),
    "AwsEc2SecurityGroup": ("GroupName",),
    "AwsEksCluster": ("Name",),
    "AwsEcsCluster": ("ClusterName",),
    "AwsCodeBuildProject": ("Name",),
    "AwsCloudTrailTrail": ("Name",),
    "AwsSnsTopic": ("TopicName",),
    "AwsSqsQueue": ("QueueName",),
}

# How findings spell AWS as a company, by input path (ASFF CompanyName "Amazon", OCSF vendor_name "AWS"):
# one spelling, the one GuardDuty's own findings and AWS's products use.
_VENDORS = {"amazon": "AWS", "amazon web services": "AWS", "aws": "AWS"}
# ProductFields keys Security Hub itself writes, read when the top-level field is absent.
_PF_COMPANY = "aws/securityhub/CompanyName"
_PF_PRODUCT = "aws/securityhub/ProductName"
_PF_SEVERITY = "aws/securityhub/SeverityLabel"

_NOT_AVAILABLE = RiskLevel.NOT_AVAILABLE.value
_PROVIDER = Provider.SECURITY_HUB.value


def vendor(name: str | None) -> str | None:
    """A company name with AWS spelled one way (``Amazon`` → ``AWS``)."""
    return _VENDORS.get(name.lower(), name) if name else None


def route(first_type: str) -> EventType | None:
    """The event type of a finding whose ``Types[0]`` is ``first_type`` (model.md §4)."""
    for prefix, event_type in _ROUTES:
        if first_type.startswith(prefix) and first_type[len(prefix) : len(prefix) + 1] in ("", "/"):
            return event_type
    return None


# Findings repeat few types, severities and product ARNs: what is derived from them alone is computed once
# per distinct value (enum members hash and read ``.value`` in Python, which adds up per finding).
_route = lru_cache(maxsize=1024)(route)


@lru_cache(maxsize=1024)
def _level(label: str | None, normalized: float | None) -> tuple[str | None, str, float | None]:
    """``finding.severity``, ``dt.security.risk.level`` and ``dt.security.risk.score`` of a Severity."""
    level = asff_level(label, normalized)
    return label or LEVEL_LABEL[level], level.value, LEVEL_SCORE[level]


def _detect(raw: dict[str, Any]) -> bool:
    # GuardDuty's PascalCase findings also carry SchemaVersion, but never ProductArn; they have Type/Service.
    return (
        isinstance(raw.get("SchemaVersion"), str)
        and isinstance(raw.get("ProductArn"), str)
        and "class_uid" not in raw
        and "Type" not in raw
        and "Service" not in raw
    )


def _map(finding: Finding) -> list[Event]:
    raw = finding.raw
    finding_id = text(raw, "Id")
    if finding_id is None:
        raise SourceError("missing finding id", "Id")
    provider_fields = obj(raw, "FindingProviderFields") or {}
    # As Security Hub does: the provider's own values when the top-level ones are absent (BatchImport).
    types = texts(raw, "Types") or texts(provider_fields, "Types", "FindingProviderFields")
    event_type = _route(types[0]) if types else None
    product_arn = text(raw, "ProductArn")
    if event_type is None and types:
        event_type = _PRODUCT_ROUTES.get(text(raw, "ProductName") or _product(product_arn)[1] or "")
    base = _common(raw, finding_id, types, event_type, product_arn=product_arn, account=finding.account)
    if base["dt.security.risk.level"] == _NOT_AVAILABLE and provider_fields:
        base.update(_severity(provider_fields, "FindingProviderFields"))
    if base["dt.security.risk.level"] == _NOT_AVAILABLE:
        product_fields = obj(raw, "ProductFields") or {}
        label = text(product_fields, _PF_SEVERITY, "ProductFields")
        base.update(_severity({"Severity": {"Label": label}}, "") if label else {})
    resources = _resources(raw)
    if event_type is None:
        rows: list[Event] = [{}]
        resources = resources[:1]
    else:
        rows = _ROWS[event_type](raw)
        if event_type is not EventType.COMPLIANCE and obj(raw, "Compliance") is not None:
            compliance = asff_compliance(raw)
            rows = [row | compliance for row in rows]
    region = text(raw, "Region")
    fallback_region = _arn_part(product_arn, 3) or finding.region
    events: list[Event] = []
    for where, resource in resources or [("Resources", {})]:
        # No resource named: the finding is about its account (one rule for every source).
        target = _resource(resource, where, event_type) if resource else _account(base["aws.account.id"])
        event = base | target
        event["aws.region"] = region or event["aws.region"] or fallback_region
        events.extend(event | row for row in rows)
    return events


def _common(
    raw: dict[str, Any],
    finding_id: str,
    types: list[str],
    event_type: EventType | None,
    *,
    product_arn: str | None,
    account: str | None,
) -> Event:
    product_fields = obj(raw, "ProductFields") or {}
    workflow = obj(raw, "Workflow")
    company, product = _product(product_arn)
    title, description = text(raw, "Title"), text(raw, "Description")
    created = text(raw, "CreatedAt") or text(raw, "FirstObservedAt")
    updated = text(raw, "UpdatedAt")
    severity = _severity(raw, "")
    return {
        "event.type": event_type.value if event_type else None,
        "event.provider": _PROVIDER,
        "event.name": title,
        "event.description": description,
        "product.vendor": vendor(
            text(raw, "CompanyName") or text(product_fields, _PF_COMPANY, "ProductFields") or company
        ),
        "product.name": text(raw, "ProductName")
        or text(product_fields, _PF_PRODUCT, "ProductFields")
        or product,
        "finding.id": finding_id,
        "finding.title": title,
        "finding.description": description,
        "finding.type": types[0] if types else None,
        "finding.types": types,
        **severity,
        "finding.time.created": created or updated,  # no CreatedAt: first seen, else updated
        "finding.time.updated": updated,
        "finding.status": (text(workflow, "Status", "Workflow") if workflow else None)
        or text(raw, "WorkflowState"),
        "finding.record_state": text(raw, "RecordState"),
        "finding.url": text(raw, "SourceUrl"),
        "aws.account.id": text(raw, "AwsAccountId") or account,
    }


def _severity(holder: dict[str, Any], where: str) -> Event:
    """The severity fields of the ``Severity`` block of ``holder`` (the finding or its provider fields)."""
    label = normalized = None
    at = f"{where}.Severity" if where else "Severity"
    severity = obj(holder, "Severity", where)
    if severity is not None:
        label = text(severity, "Label", at)
        normalized = bounded_score(severity, "Normalized", at, 100.0)
    severity_label, level_value, score = _level(label, normalized)
    return {
        "finding.severity": severity_label,
        "finding.score": normalized,
        "dt.security.risk.level": level_value,
        "dt.security.risk.score": score,
    }


def _resources(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each resource with its path; indices are those of the input even when null entries are skipped."""
    resources = objs(raw, "Resources")
    value = raw.get("Resources")
    if isinstance(value, dict):
        return [("Resources", value)]
    if isinstance(value, list) and len(value) != len(resources):
        return [(f"Resources[{index}]", item) for index, item in enumerate(value) if item is not None]
    return [(f"Resources[{index}]", item) for index, item in enumerate(resources)]


def _resource(resource: dict[str, Any], where: str, event_type: EventType | None) -> Event:
    kind = text(resource, "Type", where)
    resource_id = text(resource, "Id", where)
    details = obj(resource, "Details", where)
    own_where = f"{where}.Details.{kind}"
    own = obj(details, kind, f"{where}.Details") if details is not None and kind else None
    fields: Event = {
        "object.id": object_id(kind, resource_id),
        "object.type": kind,
        "aws.resource.id": resource_id,
        "aws.resource.type": kind,
        "aws.region": text(resource, "Region", where),
        "aws.availability_zone": text(own, "AvailabilityZone", own_where) if own else None,
    }
    name = None
    if kind == "AwsEcrContainerImage":
        image = asff_image(own, own_where) if own else {}
        name = _image_name(image)
        if event_type is EventType.VULNERABILITY:
            fields.update(image)
            fields["object.type"] = "CONTAINER_IMAGE"
    elif kind == "Container":
        container = _container(own or {}, own_where, resource_id)
        fields.update(container)
        name = container["container.name"]
    elif own is not None:
        name = next(
            (found for key in _NAME_KEYS.get(kind or "", ()) if (found := text(own, key, own_where))), None
        )
    if name is None:
        tags = obj(resource, "Tags", where)
        name = text(tags, "Name", f"{where}.Tags") if tags else None
    fields["object.name"] = fields["aws.resource.name"] = name or _last_segment(resource_id)
    return fields


def _container(own: dict[str, Any], where: str, resource_id: str | None) -> Event:
    """A ``Container`` resource is the target itself: ``CONTAINER`` with ``container.*`` (model.md §2)."""
    image = text(own, "ImageName", where)
    image_name, image_version = split_image(image) if image else (None, None)
    return {
        "object.type": "CONTAINER",
        "container.id": resource_id,
        "container.name": text(own, "Name", where),
        "container.image.name": image_name,
        "container.image.version": image_version or text(own, "ImageId", where),
    }


def _account(account: str | None) -> Event:
    (target,) = account_target(("aws", None, account))
    return target | {"aws.region": None, "aws.availability_zone": None}


def _image_name(image: Event) -> str | None:
    repository = image.get("container_image.repository")
    if not repository:
        return None
    tags, digest = image.get("container_image.tags"), image.get("container_image.digest")
    return f"{repository}:{tags[0]}" if tags else f"{repository}@{digest}" if digest else repository


def _last_segment(resource_id: str | None) -> str | None:
    if not resource_id:
        return None
    separator = "/" if "/" in resource_id else ":"
    return resource_id.rsplit(separator, 1)[-1] or None


@lru_cache(maxsize=1024)
def _arn_part(arn: str | None, index: int) -> str | None:
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    return parts[index] or None if len(parts) == 6 else None


@lru_cache(maxsize=1024)
def _product(product_arn: str | None) -> tuple[str | None, str | None]:
    path = (_arn_part(product_arn, 5) or "").split("/")
    if len(path) < 3 or path[0] != "product":
        return None, None
    company, product = path[1], path[2]
    if company == "aws":
        return "AWS", _AWS_PRODUCTS.get(product, product)
    return company or None, product or None


SOURCE = Source(name="securityhub", provider=Provider.SECURITY_HUB.value, detect=_detect, map=_map)
