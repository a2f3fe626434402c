"""Amazon GuardDuty findings → detection events (model.md §1-§5).

A finding comes camelCase (EventBridge ``detail``, S3 exports, GetFindings as JSON) or PascalCase (boto3
``get_findings``). PascalCase keys are converted to camelCase once, up front, so one mapping serves both;
camelCase, the common case, is read as it is. The affected objects come from ``guardduty_resources`` (one
event per object), the actor and network fields from ``guardduty_actions``.
"""

from __future__ import annotations

from typing import Any

from threatlake.errors import SourceError
from threatlake.model import (
    LEVEL_SCORE,
    Event,
    EventType,
    Provider,
    format_timestamp,
    guardduty_level,
    parse_timestamp,
)
from threatlake.sources.guardduty_actions import actor_fields
from threatlake.sources.guardduty_resources import RESOURCES, account_target, infer_type, other
from threatlake.sources.reader import bounded_score, integer, obj, text, truth
from threatlake.sources.source import Finding, Source

__all__ = ["SOURCE", "camel_case"]

_PROVIDER = Provider.GUARDDUTY.value
_DETECTION = EventType.DETECTION.value
_EMPTY: dict[str, Any] = {}


def _detect(raw: dict[str, Any]) -> bool:
    # ASFF has ``Types`` and ``ProductArn`` (and ``Resources``), OCSF has ``class_uid``: neither has both a
    # schema version and a singular type.
    if "schemaVersion" in raw:
        found = "type" in raw and ("resource" in raw or "service" in raw or "accountId" in raw)
    elif "SchemaVersion" in raw:
        found = "Type" in raw and ("Resource" in raw or "Service" in raw or "AccountId" in raw)
    else:
        return False
    return found and "Types" not in raw and "ProductArn" not in raw and "class_uid" not in raw


# PascalCase member names whose camelCase JSON name is not the plain conversion.
_ALIASES = {"SourceIps": "sourceIPs"}
_PASCAL = {camel: pascal for pascal, camel in _ALIASES.items()}
_KEYS: dict[str, str] = {}
# Blocks the mapping never reads: kept as they are, unconverted, which makes a boto3 finding several times
# cheaper to convert (the raw finding is stored as received either way).
_OPAQUE = frozenset(
    {
        "AdditionalInfo",
        "AffectedResources",
        "Actors",
        "City",
        "DefaultServerSideEncryption",
        "EbsVolumeDetails",
        "EbsVolumeScanDetails",
        "Evidence",
        "GeoLocation",
        "IamInstanceProfile",
        "KubernetesUserDetails",
        "LocalIpDetails",
        "MalwareScanDetails",
        "NetworkInterfaces",
        "Organization",
        "Owner",
        "ProductCodes",
        "PublicAccess",
        "RdsDbUserDetails",
        "RuntimeDetails",
        "SecurityContext",
        "SequenceIndicators",
        "Signals",
        "VolumeMounts",
        "Volumes",
        "VpcConfig",
    }
)


def _camel_key(key: str) -> str:
    """``EksClusterDetails`` → ``eksClusterDetails``, ``S3BucketDetails`` → ``s3BucketDetails``, ``ETag`` →
    ``eTag``; a key that is not an identifier (a map key such as ``AWS::S3::Bucket``) is left alone."""
    if key in _ALIASES:
        return _ALIASES[key]
    if not key[:1].isupper() or not key.isalnum():
        return key
    run = 1
    while run < len(key) and (key[run].isupper() or key[run].isdigit()):
        run += 1
    if run == len(key):
        return key.lower()
    if run > 1 and key[run].islower():  # the last capital of an acronym run starts the next word
        run -= 1
    return key[:run].lower() + key[run:]


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            new = _KEYS.get(key)
            if new is None:
                if not isinstance(key, str):  # not from JSON; keep it as it is
                    converted[key] = _camel(item)
                    continue
                new = _camel_key(key)
                if len(_KEYS) < 4096:
                    _KEYS[key] = new
            converted[new] = item if key in _OPAQUE else _camel(item)
        return converted
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def camel_case(raw: dict[str, Any]) -> dict[str, Any]:
    """A PascalCase (boto3) finding with camelCase keys, as EventBridge writes it (except inside the blocks
    the mapping never reads); values are untouched."""
    try:
        converted: dict[str, Any] = _camel(raw)
    except RecursionError:
        raise SourceError("nested too deeply", "") from None
    return converted


def _pascal_path(location: str) -> str:
    """A located path in the converted finding, spelled as the PascalCase original."""
    parts = []
    for part in location.split("."):
        name, bracket, rest = part.partition("[")
        name = _PASCAL.get(name) or name[:1].upper() + name[1:]
        parts.append(name + bracket + rest)
    return ".".join(parts)


_LEVELS: dict[float | None, str] = {}
_SCORES: dict[str, float | None] = {level.value: score for level, score in LEVEL_SCORE.items()}


def _level(severity: float | None) -> str:
    """The band label of a severity, remembered: findings carry few distinct severities."""
    level = guardduty_level(severity).value
    if len(_LEVELS) < 1024:
        _LEVELS[severity] = level
    return level


def _time(raw: dict[str, Any], key: str, where: str = "") -> str | None:
    value = raw.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # epoch seconds or milliseconds
        parsed = parse_timestamp(value)
        return format_timestamp(parsed) if parsed is not None else None
    return text(raw, key, where)


def _events(raw: dict[str, Any], finding: Finding) -> list[Event]:
    fid = text(raw, "id")
    if fid is None:
        raise SourceError("missing finding id", "id")
    ftype = text(raw, "type")
    severity = bounded_score(raw, "severity")
    level = _LEVELS.get(severity) or _level(severity)
    service = obj(raw, "service") or _EMPTY
    res = obj(raw, "resource") or _EMPTY
    region = text(raw, "region") or finding.region
    account = text(raw, "accountId") or finding.account
    status = "ARCHIVED" if truth(service, "archived", "service") else "ACTIVE"
    title = text(raw, "title")
    description = text(raw, "description")
    instance = obj(res, "instanceDetails", "resource")
    event: Event = {
        "event.provider": _PROVIDER,
        "event.type": _DETECTION,
        "event.name": title,
        "event.description": description,
        "product.vendor": "AWS",
        "product.name": _PROVIDER,
        "finding.id": fid,
        "finding.title": title,
        "finding.description": description,
        "finding.type": ftype,
        "finding.severity": level if severity is not None else None,
        "finding.score": severity,
        # No createdAt: when GuardDuty first saw the activity, else the update time.
        "finding.time.created": _time(raw, "createdAt")
        or _time(service, "eventFirstSeen", "service")
        or _time(raw, "updatedAt"),
        "finding.time.updated": _time(raw, "updatedAt"),
        "finding.status": status,
        "finding.record_state": status,
        "finding.count": integer(service, "count", "service"),
        "finding.url": (
            f"https://{region}.console.aws.amazon.com/guardduty/home?region={region}"
            f"#/findings?macros=current&fId={fid}"
            if region
            else None
        ),
        "dt.security.risk.level": level,
        # The level's score, as on every path (Security Hub v2 carries only the level): the same GuardDuty
        # finding scores the same natively, through ASFF and through OCSF; finding.score keeps the severity.
        "dt.security.risk.score": _SCORES[level],
        "aws.account.id": account,
        "aws.region": region,
        "aws.availability_zone": (
            text(instance, "availabilityZone", "resource.instanceDetails") if instance else None
        ),
        "detection.type": ftype,
        "threat.purpose": ftype.partition(":")[0] if ftype and ":" in ftype else None,
    }
    actor_fields(service, event)
    rtype = text(res, "resourceType", "resource")
    if rtype is None and ftype is not None and ftype.startswith("AttackSequence:"):
        rtype = "AttackSequence"
    rtype = rtype or infer_type(res)
    scope = (text(raw, "partition") or "aws", region, account)
    if rtype is None and not any(key.endswith("Details") for key in res):
        targets = account_target(scope)  # no resource at all: the account, as for attack sequences
    else:
        targets = (RESOURCES.get(rtype, other) if rtype is not None else other)(raw, res, scope)
    if len(targets) == 1:
        event.update(targets[0])
        return [event]
    return [event | target for target in targets]


def _map(finding: Finding) -> list[Event]:
    raw = finding.raw
    boto3 = "id" not in raw and "schemaVersion" not in raw and ("Id" in raw or "SchemaVersion" in raw)
    if not boto3:
        return _events(raw, finding)
    try:
        return _events(camel_case(raw), finding)
    except SourceError as error:
        raise SourceError(error.reason, _pascal_path(error.location)) from None


SOURCE = Source(name="guardduty", provider=_PROVIDER, detect=_detect, map=_map)
