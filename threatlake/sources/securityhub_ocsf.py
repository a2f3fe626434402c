"""AWS Security Hub v2 findings in OCSF ("Findings Imported V2"): recognition, routing by class, fields.

Security Hub v2 writes OCSF 1.5/1.6 classes of the Findings category. ``class_uid`` picks the event type
(``_CLASSES``) and the finding-wide rows (``_ROWS``, from the same topic modules as the ASFF mapper); as in
ASFF, a finding yields one event per resource × row. Macie's Data Security Finding (2006) is a detection, as
it is through ASFF; another class is stored unmapped: one event, about its first resource.

Decisions where model.md is silent:
- Values are spelled as ASFF spells them, so one query reads both formats: resource types
  ``AWS::EC2::Instance`` → ``AwsEc2Instance`` (``asff_type``); ``finding.severity`` and ``finding.status``
  upper case (``Informational`` → ``INFORMATIONAL``, ``In Progress`` → ``IN_PROGRESS``); compliance ``Pass`` →
  ``PASSED``.
- ``object.id`` and ``aws.resource.id`` are the resource ARN: ``uid_alt`` or ``uid`` when one is an ARN, else
  built for an EC2 instance (Inspector's ``uid`` is the bare instance id), else ``uid`` (an access key id).
- ``finding.time.updated`` is ``finding_info.modified_time``, else the event ``time``; an epoch-ms number is
  written as ISO 8601 when the ``*_dt`` string is missing.
- ``detection.type`` is the GuardDuty-style entry of ``finding_info.types`` (attack sequences list the
  category ``Threats`` first), else the first. Remote IPs are each evidence's ``src_endpoint``, or its
  ``dst_endpoint`` for an outbound connection; ``actor.geo.country.name`` is that endpoint's
  ``location.country`` as given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from threatlake.errors import SourceError
from threatlake.model import (
    LEVEL_SCORE,
    Event,
    EventType,
    Provider,
    format_timestamp,
    object_id,
    ocsf_level,
    parse_timestamp,
)
from threatlake.sources.guardduty_resources import account_target, split_image
from threatlake.sources.reader import integer, number, obj, objs, text, texts
from threatlake.sources.securityhub import LEVEL_LABEL, vendor
from threatlake.sources.securityhub_compliance import ocsf_compliance
from threatlake.sources.securityhub_detection import threat_purpose, threat_type
from threatlake.sources.securityhub_vulnerability import ocsf_image, ocsf_vulnerabilities
from threatlake.sources.source import Finding, Source

__all__ = ["SOURCE", "asff_type"]

_CLASSES: dict[int, EventType] = {
    2002: EventType.VULNERABILITY,
    2003: EventType.COMPLIANCE,
    2004: EventType.DETECTION,
    2006: EventType.DETECTION,  # Data Security Finding (Macie): a detection, as through ASFF
}

# OCSF finding status_id → the ASFF-style word, for a finding that has only the id.
_STATUS_BY_ID = {1: "NEW", 2: "IN_PROGRESS", 3: "SUPPRESSED", 4: "RESOLVED", 5: "ARCHIVED", 6: "DELETED"}
# OCSF connection_info.direction_id (1 Inbound, 2 Outbound, 3 Lateral) → network.direction.
_DIRECTION_BY_ID = {1: "INBOUND", 2: "OUTBOUND"}
_DIRECTION_BY_NAME = {"inbound": "INBOUND", "outbound": "OUTBOUND"}

# OCSF resource types with an ASFF name of their own (GuardDuty Runtime Monitoring targets a container).
_ASFF_TYPES = {"AWS::Container::Container": "Container", "AWS::ECS::Container": "Container"}
# Words ASFF spells differently from CloudFormation; every other word only has its acronyms folded.
_TYPE_WORDS = {"ElasticLoadBalancingV2": "Elbv2", "ElasticLoadBalancing": "Elb", "WAFv2": "Wafv2"}
_ACRONYM = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^a-z]|$)")


@lru_cache(maxsize=512)
def asff_type(ocsf_type: str) -> str:
    """A CloudFormation resource type in ASFF spelling: ``AWS::RDS::DBInstance`` → ``AwsRdsDbInstance``."""
    if ocsf_type in _ASFF_TYPES:
        return _ASFF_TYPES[ocsf_type]
    words = [word for word in ocsf_type.split("::") if word]
    if len(words) < 2 or words[0] != "AWS":
        return ocsf_type
    return "".join(
        _TYPE_WORDS.get(word) or _ACRONYM.sub(lambda m: m.group().capitalize(), word) for word in words
    )


def _detect(raw: dict[str, Any]) -> bool:
    class_uid = raw.get("class_uid")
    return isinstance(class_uid, int) and class_uid in _CLASSES and isinstance(raw.get("metadata"), dict)


def _map(finding: Finding) -> list[Event]:
    raw = finding.raw
    info = obj(raw, "finding_info") or {}
    finding_id = text(info, "uid", "finding_info")
    if finding_id is None:
        raise SourceError("missing finding id", "finding_info.uid")
    class_uid = integer(raw, "class_uid")
    event_type = _CLASSES.get(class_uid) if class_uid is not None else None
    cloud = obj(raw, "cloud") or {}
    account_info = obj(cloud, "account", "cloud")
    account = (text(account_info, "uid", "cloud.account") if account_info else None) or finding.account
    region = text(cloud, "region", "cloud")
    base = _common(raw, info, finding_id, event_type, account)
    resources = [(f"resources[{index}]", item) for index, item in enumerate(objs(raw, "resources"))]
    if event_type is None:
        rows: list[Event] = [{}]
        resources = resources[:1]
    else:
        rows = _ROWS[event_type](raw)
    events: list[Event] = []
    for where, resource in resources or [("resources", {})]:
        if resource:
            target = _resource(resource, where, event_type, region, account)
        else:  # no resource named: the finding is about its account (one rule for every source)
            (target,) = account_target(("aws", None, account))
            target["aws.region"] = None
        event = base | target
        event["aws.region"] = region or event["aws.region"] or finding.region
        events.extend(event | row for row in rows)
    return events


def _common(
    raw: dict[str, Any],
    info: dict[str, Any],
    finding_id: str,
    event_type: EventType | None,
    account: str | None,
) -> Event:
    metadata = obj(raw, "metadata") or {}
    product = obj(metadata, "product", "metadata") or {}
    types = texts(info, "types", "finding_info")
    severity = text(raw, "severity")
    level = ocsf_level(integer(raw, "severity_id"), severity)
    status = text(raw, "status")
    status_id = integer(raw, "status_id") if status is None else None
    title, description = text(info, "title", "finding_info"), text(info, "desc", "finding_info")
    updated = _time(info, "modified_time", "finding_info") or _time(raw, "time", "")
    return {
        "event.type": event_type.value if event_type else None,
        "event.provider": Provider.SECURITY_HUB.value,
        "event.name": title,
        "event.description": description,
        "product.vendor": vendor(text(product, "vendor_name", "metadata.product")),
        "product.name": text(product, "name", "metadata.product"),
        "finding.id": finding_id,
        "finding.title": title,
        "finding.description": description,
        "finding.type": types[0] if types else None,
        "finding.types": types,
        "finding.severity": severity.upper() if severity else LEVEL_LABEL[level],
        "finding.time.created": _time(info, "created_time", "finding_info")
        or _time(info, "first_seen_time", "finding_info")
        or updated,
        "finding.time.updated": updated,
        "finding.status": _upper(status) if status else _STATUS_BY_ID.get(status_id or 0),
        "finding.count": integer(raw, "count"),
        "finding.url": text(info, "src_url", "finding_info"),
        "dt.security.risk.level": level.value,
        "dt.security.risk.score": LEVEL_SCORE[level],
        "aws.account.id": account,
    }


def _resource(
    resource: dict[str, Any],
    where: str,
    event_type: EventType | None,
    cloud_region: str | None,
    account: str | None,
) -> Event:
    given_type = text(resource, "type", where)
    kind = asff_type(given_type) if given_type else None
    uid, uid_alt = text(resource, "uid", where), text(resource, "uid_alt", where)
    region = text(resource, "region", where)
    resource_id = _arn(uid_alt) or _arn(uid)
    if resource_id is None and kind == "AwsEc2Instance" and uid:
        resource_id = _instance_arn(resource, where, uid, region or cloud_region, account)
    resource_id = resource_id or uid or uid_alt
    name = text(resource, "name", where) or _name_tag(resource, where) or _last_segment(resource_id)
    fields: Event = {
        "object.id": object_id(kind, resource_id),
        "object.type": kind,
        "object.name": name,
        "aws.resource.id": resource_id,
        "aws.resource.type": kind,
        "aws.resource.name": name,
        "aws.region": region,
        "aws.availability_zone": text(resource, "zone", where),
    }
    if kind == "Container":
        fields.update(_container(resource, where, uid or resource_id, name))
    if event_type is EventType.VULNERABILITY and kind == "AwsEcrContainerImage":
        fields.update(ocsf_image(resource, where))
        fields["object.type"] = "CONTAINER_IMAGE"
    return fields


def _container(resource: dict[str, Any], where: str, uid: str | None, name: str | None) -> Event:
    """A container target: ``CONTAINER`` with ``container.*`` (model.md §2), from the resource and the OCSF
    container object in its ``data`` (``data.container`` or ``data`` itself: ``uid``, ``name``, ``image``)."""
    data = obj(resource, "data", where) or {}
    at = f"{where}.data"
    inner = obj(data, "container", at)
    if inner is not None:
        data, at = inner, f"{at}.container"
    image_name = image_version = None
    image = data.get("image")
    if isinstance(image, dict):  # OCSF image: name, tag, uid
        image_name = text(image, "name", f"{at}.image")
        image_version = text(image, "tag", f"{at}.image") or text(image, "uid", f"{at}.image")
        if image_name and not image_version:
            image_name, image_version = split_image(image_name)
    else:
        written = text(data, "image", at)
        image_name, image_version = split_image(written) if written else (None, None)
    return {
        "object.type": "CONTAINER",
        "container.id": text(data, "uid", at) or uid,
        "container.name": text(data, "name", at) or name,
        "container.image.name": image_name,
        "container.image.version": image_version,
    }


def _detection(raw: dict[str, Any]) -> Event:
    info = obj(raw, "finding_info") or {}
    types = texts(info, "types", "finding_info")
    kind = threat_type(types)
    ips: list[str] = []
    country = direction = port = protocol = None
    for index, evidence in enumerate(objs(raw, "evidences")):
        where = f"evidences[{index}]"
        outbound = False
        connection = obj(evidence, "connection_info", where)
        if connection is not None:
            at = f"{where}.connection_info"
            direction_id = integer(connection, "direction_id", at)
            named = _DIRECTION_BY_ID.get(direction_id or 0) or _DIRECTION_BY_NAME.get(
                (text(connection, "direction", at) or "").lower()
            )
            outbound = named == "OUTBOUND"
            direction = direction or named
            protocol = protocol or text(connection, "protocol_name", at)
        remote = obj(evidence, "dst_endpoint" if outbound else "src_endpoint", where)
        if remote is not None:
            at = f"{where}.{'dst_endpoint' if outbound else 'src_endpoint'}"
            ip = text(remote, "ip", at)
            if ip and ip not in ips:
                ips.append(ip)
            location = obj(remote, "location", at)
            country = country or (text(location, "country", f"{at}.location") if location else None)
        target = obj(evidence, "dst_endpoint", where)
        port = port or (integer(target, "port", f"{where}.dst_endpoint") if target else None)
    return {
        "detection.type": kind or (types[0] if types else None),
        "actor.ips": ips,
        "actor.geo.country.name": country,
        "threat.purpose": threat_purpose(kind),
        "network.direction": direction,
        "network.port": port,
        "network.protocol": protocol,
    }


_ROWS: dict[EventType, Callable[[dict[str, Any]], list[Event]]] = {
    EventType.DETECTION: lambda raw: [_detection(raw)],
    EventType.VULNERABILITY: ocsf_vulnerabilities,
    EventType.COMPLIANCE: lambda raw: [ocsf_compliance(raw)],
}


def _time(d: dict[str, Any], key: str, where: str) -> str | None:
    """``<key>_dt`` as written, else the epoch-ms ``<key>`` as ISO 8601."""
    written = text(d, f"{key}_dt", where)
    if written:
        return written
    parsed = parse_timestamp(number(d, key, where))
    return format_timestamp(parsed) if parsed else None


def _upper(word: str) -> str:
    return word.upper().replace(" ", "_")


def _arn(value: str | None) -> str | None:
    return value if value and value.startswith("arn:") else None


def _instance_arn(
    resource: dict[str, Any], where: str, instance_id: str, region: str | None, account: str | None
) -> str | None:
    owner = obj(resource, "owner", where)
    owner_account = obj(owner, "account", f"{where}.owner") if owner else None
    account = (text(owner_account, "uid", f"{where}.owner.account") if owner_account else None) or account
    if not (region and account):
        return None
    partition = text(resource, "cloud_partition", where) or "aws"
    return f"arn:{partition}:ec2:{region}:{account}:instance/{instance_id}"


def _name_tag(resource: dict[str, Any], where: str) -> str | None:
    for index, tag in enumerate(objs(resource, "tags", where)):
        if tag.get("name") == "Name":
            return text(tag, "value", f"{where}.tags[{index}]")
    return None


def _last_segment(value: str | None) -> str | None:
    if not value:
        return None
    return value.rsplit("/" if "/" in value else ":", 1)[-1] or None


SOURCE = Source(name="securityhub_ocsf", provider=Provider.SECURITY_HUB.value, detect=_detect, map=_map)
