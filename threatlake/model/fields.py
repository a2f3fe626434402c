"""The field catalogue: every field of a security event, its type and meaning.

The store gives each catalogue field its own typed column; a field a mapper sets outside the catalogue
stays queryable by name (see ``docs/model.md``). Names follow the Semantic Dictionary convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ABSENT_ARRAYS",
    "CLICKHOUSE_STORAGE_TYPES",
    "EXTRA_MAPS",
    "FIELDS",
    "NULL_MARK",
    "PROMOTED_EXTRA",
    "STORAGE_TYPES",
    "Field",
    "FieldType",
]


#: ClickHouse stores no null array: each row lists the array fields it lacks in this column (the store
#: writes it, compiled DQL reads it), and a result's ``NULL_MARK + name`` column says where ``name`` is null.
ABSENT_ARRAYS = "absent_arrays"
NULL_MARK = "__null__."

#: ClickHouse keeps the scalar members of ``extra`` in typed maps as well, materialized from it on insert
#: (``store/clickhouse/extra.py``), which compiled DQL reads before the JSON text
#: (``query/clickhouse_extra.py``): the kind of value → the map's column.
EXTRA_MAPS = {
    "string": "extra_string",
    "long": "extra_long",
    "double": "extra_double",
    "boolean": "extra_bool",
}
#: ``extra`` keys promoted to a column of their own on ClickHouse (the member's JSON text, materialized from
#: the maps on insert; compiled DQL reads the column instead): key → column. Promoting a key is a migration.
PROMOTED_EXTRA = {"service.action": "extra.service.action"}


class FieldType(StrEnum):
    STRING = "string"
    LONG = "long"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    STRING_ARRAY = "array<string>"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    doc: str


S, L, D, B, T, A = (
    FieldType.STRING,
    FieldType.LONG,
    FieldType.DOUBLE,
    FieldType.BOOLEAN,
    FieldType.TIMESTAMP,
    FieldType.STRING_ARRAY,
)

_CATALOGUE: tuple[tuple[str, FieldType, str], ...] = (
    # Every event (model.md §1)
    ("timestamp", T, "time of this finding version (UTC, ns)"),
    ("event.id", S, "deterministic id of this finding version and object"),
    ("event.kind", S, "always SECURITY_EVENT"),
    ("event.type", S, "DETECTION_FINDING, VULNERABILITY_FINDING, COMPLIANCE_FINDING, or null when unmapped"),
    ("event.provider", S, "the system that delivered the finding"),
    ("event.name", S, "short human title"),
    ("event.description", S, "the finding's description"),
    ("product.vendor", S, "who detected it (company)"),
    ("product.name", S, "who detected it (product)"),
    ("finding.id", S, "the vendor's finding id"),
    ("finding.title", S, "the vendor's finding title"),
    ("finding.description", S, "the vendor's finding description"),
    ("finding.type", S, "GuardDuty type or ASFF Types[0]"),
    ("finding.types", A, "every ASFF type"),
    ("finding.severity", S, "the vendor's own severity label"),
    ("finding.score", D, "the vendor's own numeric score"),
    ("finding.time.created", S, "when the vendor first created the finding (ISO 8601)"),
    ("finding.time.updated", S, "when the vendor last updated the finding (ISO 8601)"),
    ("finding.status", S, "lifecycle status"),
    ("finding.record_state", S, "ACTIVE or ARCHIVED"),
    ("finding.count", L, "how often the vendor saw it"),
    ("finding.url", S, "link to the finding in the AWS console"),
    ("finding.result", S, "PASS, FAIL or MANUAL for compliance checks"),
    ("dt.security.risk.level", S, "CRITICAL, HIGH, MEDIUM, LOW, NONE or NOT_AVAILABLE"),
    ("dt.security.risk.score", D, "normalized score 0-10"),
    ("object.id", S, "the affected object"),
    ("object.name", S, "the affected object's name"),
    ("object.type", S, "the affected object's type (ASFF spelling, CONTAINER, CONTAINER_IMAGE)"),
    ("aws.account.id", S, "AWS account"),
    ("aws.region", S, "AWS region"),
    ("aws.availability_zone", S, "AWS availability zone"),
    ("aws.resource.id", S, "affected AWS resource (ARN when it can be built)"),
    ("aws.resource.type", S, "affected AWS resource type (ASFF spelling)"),
    ("aws.resource.name", S, "affected AWS resource name"),
    ("cloud.provider", S, "always aws"),
    ("dt.system.bucket", S, "the bucket the event is stored in"),
    ("dt.openpipeline.source", S, "the ingest path that received it"),
    ("dt.ingest.connection", S, "the connection (token owner) that sent it"),
    ("dt.ingest.time", T, "receive time"),
    ("dt.raw_data", S, "the original finding (JSON)"),
    # The affected object (model.md §2)
    ("container.id", S, "container id"),
    ("container.name", S, "container name"),
    ("container.image.name", S, "container image name"),
    ("container.image.version", S, "container image tag, or digest without a tag"),
    ("k8s.cluster.name", S, "Kubernetes cluster"),
    ("k8s.namespace.name", S, "Kubernetes namespace"),
    ("k8s.pod.name", S, "Kubernetes pod"),
    ("k8s.pod.uid", S, "Kubernetes pod uid"),
    # Detections (model.md §5)
    ("detection.type", S, "the detection's type"),
    ("actor.ips", A, "every remote IP the finding names"),
    ("actor.geo.country.name", S, "country of the first remote IP"),
    ("threat.purpose", S, "the part of a GuardDuty type before ':'"),
    ("network.direction", S, "INBOUND or OUTBOUND"),
    ("network.port", L, "the port named by the finding"),
    ("network.protocol", S, "the protocol named by the finding"),
    # Vulnerabilities
    ("vulnerability.id", S, "CVE or vendor id"),
    ("vulnerability.title", S, "vulnerability title"),
    ("vulnerability.description", S, "vulnerability description"),
    ("vulnerability.references.cve", A, "CVE ids"),
    ("vulnerability.cvss.base_score", D, "CVSS base score"),
    ("vulnerability.cvss.version", S, "CVSS version"),
    ("vulnerability.exploit_available", S, "YES or NO"),
    ("vulnerability.fix_available", S, "YES, NO or PARTIAL"),
    ("component.name", S, "vulnerable package"),
    ("component.version", S, "vulnerable package version"),
    ("component.fixed_version", S, "version that fixes it"),
    ("container_image.repository", S, "ECR repository"),
    ("container_image.digest", S, "image digest"),
    ("container_image.tags", A, "image tags"),
    # Compliance
    ("rule.id", S, "security control id, else generator id"),
    ("rule.name", S, "rule title"),
    ("compliance.control", S, "control id"),
    ("compliance.standards", A, "standard ids or ARNs"),
    ("compliance.requirements", A, "related requirements"),
    ("compliance.status", S, "PASSED, FAILED, WARNING or NOT_AVAILABLE"),
)

FIELDS: dict[str, Field] = {name: Field(name, ftype, doc) for name, ftype, doc in _CATALOGUE}

#: How the store keeps each type (DuckDB names); the DQL compiler casts to the same types. The contract
#: between ``store`` and ``query``, which may not import each other.
STORAGE_TYPES: dict[FieldType, str] = {
    FieldType.STRING: "VARCHAR",
    FieldType.LONG: "BIGINT",
    FieldType.DOUBLE: "DOUBLE",
    FieldType.BOOLEAN: "BOOLEAN",
    FieldType.TIMESTAMP: "TIMESTAMP",
    FieldType.STRING_ARRAY: "VARCHAR[]",
}

#: The same columns in ClickHouse: nullable scalars, µs timestamps (``DateTime`` would keep seconds).
CLICKHOUSE_STORAGE_TYPES: dict[FieldType, str] = {
    FieldType.STRING: "Nullable(String)",
    FieldType.LONG: "Nullable(Int64)",
    FieldType.DOUBLE: "Nullable(Float64)",
    FieldType.BOOLEAN: "Nullable(Bool)",
    FieldType.TIMESTAMP: "Nullable(DateTime64(6))",
    FieldType.STRING_ARRAY: "Array(String)",
}
