-- bootstrap (every run): the database and the migrations table
CREATE DATABASE IF NOT EXISTS "threatlake" ON CLUSTER "threatlake";

CREATE TABLE IF NOT EXISTS "threatlake".threatlake_migrations ON CLUSTER "threatlake" (version UInt32, name String, applied_at DateTime64(6), checksum String)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/threatlake_migrations', '{replica}') ORDER BY version;

-- migration 1: events
CREATE TABLE IF NOT EXISTS "threatlake".events_local ON CLUSTER "threatlake" (
  "timestamp" Nullable(DateTime64(6)),
  "event.id" Nullable(String),
  "event.kind" Nullable(String),
  "event.type" Nullable(String),
  "event.provider" Nullable(String),
  "event.name" Nullable(String),
  "event.description" Nullable(String) CODEC(ZSTD(3)),
  "product.vendor" Nullable(String),
  "product.name" Nullable(String),
  "finding.id" Nullable(String),
  "finding.title" Nullable(String),
  "finding.description" Nullable(String) CODEC(ZSTD(3)),
  "finding.type" Nullable(String),
  "finding.types" Array(String),
  "finding.severity" Nullable(String),
  "finding.score" Nullable(Float64),
  "finding.time.created" Nullable(String),
  "finding.time.updated" Nullable(String),
  "finding.status" Nullable(String),
  "finding.record_state" Nullable(String),
  "finding.count" Nullable(Int64),
  "finding.url" Nullable(String),
  "finding.result" Nullable(String),
  "dt.security.risk.level" Nullable(String),
  "dt.security.risk.score" Nullable(Float64),
  "object.id" Nullable(String),
  "object.name" Nullable(String),
  "object.type" Nullable(String),
  "aws.account.id" Nullable(String),
  "aws.region" Nullable(String),
  "aws.availability_zone" Nullable(String),
  "aws.resource.id" Nullable(String),
  "aws.resource.type" Nullable(String),
  "aws.resource.name" Nullable(String),
  "cloud.provider" Nullable(String),
  "dt.system.bucket" Nullable(String),
  "dt.openpipeline.source" Nullable(String),
  "dt.ingest.connection" Nullable(String),
  "dt.ingest.time" Nullable(DateTime64(6)),
  "dt.raw_data" Nullable(String) CODEC(ZSTD(3)),
  "container.id" Nullable(String),
  "container.name" Nullable(String),
  "container.image.name" Nullable(String),
  "container.image.version" Nullable(String),
  "k8s.cluster.name" Nullable(String),
  "k8s.namespace.name" Nullable(String),
  "k8s.pod.name" Nullable(String),
  "k8s.pod.uid" Nullable(String),
  "detection.type" Nullable(String),
  "actor.ips" Array(String),
  "actor.geo.country.name" Nullable(String),
  "threat.purpose" Nullable(String),
  "network.direction" Nullable(String),
  "network.port" Nullable(Int64),
  "network.protocol" Nullable(String),
  "vulnerability.id" Nullable(String),
  "vulnerability.title" Nullable(String),
  "vulnerability.description" Nullable(String) CODEC(ZSTD(3)),
  "vulnerability.references.cve" Array(String),
  "vulnerability.cvss.base_score" Nullable(Float64),
  "vulnerability.cvss.version" Nullable(String),
  "vulnerability.exploit_available" Nullable(String),
  "vulnerability.fix_available" Nullable(String),
  "component.name" Nullable(String),
  "component.version" Nullable(String),
  "component.fixed_version" Nullable(String),
  "container_image.repository" Nullable(String),
  "container_image.digest" Nullable(String),
  "container_image.tags" Array(String),
  "rule.id" Nullable(String),
  "rule.name" Nullable(String),
  "compliance.control" Nullable(String),
  "compliance__standards" Array(String),
  "compliance.standards" Array(String) ALIAS "compliance__standards",
  "compliance__requirements" Array(String),
  "compliance.requirements" Array(String) ALIAS "compliance__requirements",
  "compliance.status" Nullable(String),
  "extra" Nullable(String) CODEC(ZSTD(3)),
  "retention_days" UInt16 DEFAULT 365,
  "absent_arrays" Array(LowCardinality(String)),
  INDEX id_bloom "event.id" TYPE bloom_filter(0.01) GRANULARITY 4
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}')
PARTITION BY ("retention_days", toYYYYMM(coalesce("dt.ingest.time", "timestamp", toDateTime64('2105-12-31 00:00:00', 6))))
ORDER BY (ifNull("dt.system.bucket", ''), ifNull("event.type", ''), toStartOfDay(ifNull("timestamp", toDateTime64(0, 6))), ifNull("event.id", ''))
TTL toDateTime(coalesce("dt.ingest.time", "timestamp", toDateTime64('2105-12-31 00:00:00', 6))) + toIntervalDay("retention_days")
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS "threatlake".events ON CLUSTER "threatlake" (
  "timestamp" Nullable(DateTime64(6)),
  "event.id" Nullable(String),
  "event.kind" Nullable(String),
  "event.type" Nullable(String),
  "event.provider" Nullable(String),
  "event.name" Nullable(String),
  "event.description" Nullable(String),
  "product.vendor" Nullable(String),
  "product.name" Nullable(String),
  "finding.id" Nullable(String),
  "finding.title" Nullable(String),
  "finding.description" Nullable(String),
  "finding.type" Nullable(String),
  "finding.types" Array(String),
  "finding.severity" Nullable(String),
  "finding.score" Nullable(Float64),
  "finding.time.created" Nullable(String),
  "finding.time.updated" Nullable(String),
  "finding.status" Nullable(String),
  "finding.record_state" Nullable(String),
  "finding.count" Nullable(Int64),
  "finding.url" Nullable(String),
  "finding.result" Nullable(String),
  "dt.security.risk.level" Nullable(String),
  "dt.security.risk.score" Nullable(Float64),
  "object.id" Nullable(String),
  "object.name" Nullable(String),
  "object.type" Nullable(String),
  "aws.account.id" Nullable(String),
  "aws.region" Nullable(String),
  "aws.availability_zone" Nullable(String),
  "aws.resource.id" Nullable(String),
  "aws.resource.type" Nullable(String),
  "aws.resource.name" Nullable(String),
  "cloud.provider" Nullable(String),
  "dt.system.bucket" Nullable(String),
  "dt.openpipeline.source" Nullable(String),
  "dt.ingest.connection" Nullable(String),
  "dt.ingest.time" Nullable(DateTime64(6)),
  "dt.raw_data" Nullable(String),
  "container.id" Nullable(String),
  "container.name" Nullable(String),
  "container.image.name" Nullable(String),
  "container.image.version" Nullable(String),
  "k8s.cluster.name" Nullable(String),
  "k8s.namespace.name" Nullable(String),
  "k8s.pod.name" Nullable(String),
  "k8s.pod.uid" Nullable(String),
  "detection.type" Nullable(String),
  "actor.ips" Array(String),
  "actor.geo.country.name" Nullable(String),
  "threat.purpose" Nullable(String),
  "network.direction" Nullable(String),
  "network.port" Nullable(Int64),
  "network.protocol" Nullable(String),
  "vulnerability.id" Nullable(String),
  "vulnerability.title" Nullable(String),
  "vulnerability.description" Nullable(String),
  "vulnerability.references.cve" Array(String),
  "vulnerability.cvss.base_score" Nullable(Float64),
  "vulnerability.cvss.version" Nullable(String),
  "vulnerability.exploit_available" Nullable(String),
  "vulnerability.fix_available" Nullable(String),
  "component.name" Nullable(String),
  "component.version" Nullable(String),
  "component.fixed_version" Nullable(String),
  "container_image.repository" Nullable(String),
  "container_image.digest" Nullable(String),
  "container_image.tags" Array(String),
  "rule.id" Nullable(String),
  "rule.name" Nullable(String),
  "compliance.control" Nullable(String),
  "compliance__standards" Array(String),
  "compliance.standards" Array(String) ALIAS "compliance__standards",
  "compliance__requirements" Array(String),
  "compliance.requirements" Array(String) ALIAS "compliance__requirements",
  "compliance.status" Nullable(String),
  "extra" Nullable(String),
  "retention_days" UInt16 DEFAULT 365,
  "absent_arrays" Array(LowCardinality(String))
) ENGINE = Distributed('threatlake', 'threatlake', 'events_local', cityHash64(ifNull("finding.id", ifNull("event.id", ''))));

-- migration 2: latest view
CREATE VIEW IF NOT EXISTS "threatlake".latest ON CLUSTER "threatlake" AS
SELECT "timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance.standards", "compliance.requirements", "compliance.status", "extra" FROM "threatlake".events FINAL
ORDER BY "timestamp" DESC NULLS LAST, "event.id" DESC
LIMIT 1 BY "finding.id", "object.id", "vulnerability.id", "component.name";

-- migration 3: buckets
CREATE TABLE IF NOT EXISTS "threatlake".buckets ON CLUSTER "threatlake" (name String, retention_days UInt16, created DateTime64(6))
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/buckets', '{replica}') ORDER BY name;

-- migration 4: triage mirror
CREATE TABLE IF NOT EXISTS "threatlake".triage ON CLUSTER "threatlake" ("finding.id" String, "triage.status" Nullable(String), "triage.assignee" Nullable(String), "triage.expires" Nullable(DateTime64(6)), "triage.modified" Nullable(DateTime64(6)), "triage.modified_by" Nullable(String))
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{database}/triage', '{replica}') ORDER BY "finding.id";

-- migration 5: latest table
DROP VIEW IF EXISTS "threatlake".latest ON CLUSTER "threatlake";

CREATE TABLE IF NOT EXISTS "threatlake".latest_rows_local ON CLUSTER "threatlake" (
  "timestamp" Nullable(DateTime64(6)),
  "event.id" Nullable(String),
  "event.kind" Nullable(String),
  "event.type" Nullable(String),
  "event.provider" Nullable(String),
  "event.name" Nullable(String),
  "event.description" Nullable(String) CODEC(ZSTD(3)),
  "product.vendor" Nullable(String),
  "product.name" Nullable(String),
  "finding.id" Nullable(String),
  "finding.title" Nullable(String),
  "finding.description" Nullable(String) CODEC(ZSTD(3)),
  "finding.type" Nullable(String),
  "finding.types" Array(String),
  "finding.severity" Nullable(String),
  "finding.score" Nullable(Float64),
  "finding.time.created" Nullable(String),
  "finding.time.updated" Nullable(String),
  "finding.status" Nullable(String),
  "finding.record_state" Nullable(String),
  "finding.count" Nullable(Int64),
  "finding.url" Nullable(String),
  "finding.result" Nullable(String),
  "dt.security.risk.level" Nullable(String),
  "dt.security.risk.score" Nullable(Float64),
  "object.id" Nullable(String),
  "object.name" Nullable(String),
  "object.type" Nullable(String),
  "aws.account.id" Nullable(String),
  "aws.region" Nullable(String),
  "aws.availability_zone" Nullable(String),
  "aws.resource.id" Nullable(String),
  "aws.resource.type" Nullable(String),
  "aws.resource.name" Nullable(String),
  "cloud.provider" Nullable(String),
  "dt.system.bucket" Nullable(String),
  "dt.openpipeline.source" Nullable(String),
  "dt.ingest.connection" Nullable(String),
  "dt.ingest.time" Nullable(DateTime64(6)),
  "dt.raw_data" Nullable(String) CODEC(ZSTD(3)),
  "container.id" Nullable(String),
  "container.name" Nullable(String),
  "container.image.name" Nullable(String),
  "container.image.version" Nullable(String),
  "k8s.cluster.name" Nullable(String),
  "k8s.namespace.name" Nullable(String),
  "k8s.pod.name" Nullable(String),
  "k8s.pod.uid" Nullable(String),
  "detection.type" Nullable(String),
  "actor.ips" Array(String),
  "actor.geo.country.name" Nullable(String),
  "threat.purpose" Nullable(String),
  "network.direction" Nullable(String),
  "network.port" Nullable(Int64),
  "network.protocol" Nullable(String),
  "vulnerability.id" Nullable(String),
  "vulnerability.title" Nullable(String),
  "vulnerability.description" Nullable(String) CODEC(ZSTD(3)),
  "vulnerability.references.cve" Array(String),
  "vulnerability.cvss.base_score" Nullable(Float64),
  "vulnerability.cvss.version" Nullable(String),
  "vulnerability.exploit_available" Nullable(String),
  "vulnerability.fix_available" Nullable(String),
  "component.name" Nullable(String),
  "component.version" Nullable(String),
  "component.fixed_version" Nullable(String),
  "container_image.repository" Nullable(String),
  "container_image.digest" Nullable(String),
  "container_image.tags" Array(String),
  "rule.id" Nullable(String),
  "rule.name" Nullable(String),
  "compliance.control" Nullable(String),
  "compliance__standards" Array(String),
  "compliance.standards" Array(String) ALIAS "compliance__standards",
  "compliance__requirements" Array(String),
  "compliance.requirements" Array(String) ALIAS "compliance__requirements",
  "compliance.status" Nullable(String),
  "extra" Nullable(String) CODEC(ZSTD(3)),
  "retention_days" UInt16 DEFAULT 365,
  "absent_arrays" Array(LowCardinality(String)),
  version UInt256
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/latest_rows_local', '{replica}', version)
ORDER BY (ifNull("finding.id", ''), ifNull("object.id", ''), ifNull("vulnerability.id", ''), ifNull("component.name", ''), isNull("finding.id"), isNull("object.id"), isNull("vulnerability.id"), isNull("component.name"))
TTL toDateTime(coalesce("dt.ingest.time", "timestamp", toDateTime64('2105-12-31 00:00:00', 6))) + toIntervalDay("retention_days");

CREATE TABLE IF NOT EXISTS "threatlake".latest_rows ON CLUSTER "threatlake" AS "threatlake".latest_rows_local
ENGINE = Distributed('threatlake', 'threatlake', 'latest_rows_local', cityHash64(ifNull("finding.id", '')));

CREATE MATERIALIZED VIEW IF NOT EXISTS "threatlake".latest_feed ON CLUSTER "threatlake" TO "threatlake".latest_rows_local AS
SELECT "timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance__standards", "compliance__requirements", "compliance.status", "extra", "retention_days", "absent_arrays", bitOr(bitShiftLeft(toUInt256(ifNull(toUnixTimestamp64Micro("timestamp") + 2208988800000001, 0)), 200), reinterpretAsUInt256(reverse(rightPad(substring(ifNull("event.id", ''), 1, 25), 25, '\0')))) AS version
FROM "threatlake".events_local;

CREATE VIEW IF NOT EXISTS "threatlake".latest ON CLUSTER "threatlake" AS
SELECT "timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance.standards", "compliance.requirements", "compliance.status", "extra", "absent_arrays" FROM "threatlake".latest_rows FINAL
ORDER BY version DESC LIMIT 1 BY ifNull("finding.id", ''), ifNull("object.id", ''), ifNull("vulnerability.id", ''), ifNull("component.name", ''), isNull("finding.id"), isNull("object.id"), isNull("vulnerability.id"), isNull("component.name");

INSERT INTO "threatlake".latest_rows ("timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance__standards", "compliance__requirements", "compliance.status", "extra", "retention_days", "absent_arrays", version)
SELECT "timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance__standards", "compliance__requirements", "compliance.status", "extra", "retention_days", "absent_arrays", bitOr(bitShiftLeft(toUInt256(ifNull(toUnixTimestamp64Micro("timestamp") + 2208988800000001, 0)), 200), reinterpretAsUInt256(reverse(rightPad(substring(ifNull("event.id", ''), 1, 25), 25, '\0')))) AS version
FROM "threatlake".events FINAL;

-- migration 6: extra maps and promoted keys
ALTER TABLE "threatlake".events_local ON CLUSTER "threatlake" ADD COLUMN IF NOT EXISTS "extra_string" Map(LowCardinality(String), String) MATERIALIZED mapApply((k, v) -> (k, JSONExtractString(v)), mapFilter((k, v) -> JSONType(v) = 'String', CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra_long" Map(LowCardinality(String), Int64) MATERIALIZED mapApply((k, v) -> (k, JSONExtractInt(v)), mapFilter((k, v) -> JSONType(v) = 'Int64' AND toString(JSONExtractInt(v)) = v, CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra_double" Map(LowCardinality(String), Float64) MATERIALIZED mapApply((k, v) -> (k, toFloat64(v)), mapFilter((k, v) -> JSONType(v) = 'Double' AND toString(toFloat64(v)) = v, CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra_bool" Map(LowCardinality(String), Bool) MATERIALIZED mapApply((k, v) -> (k, v = 'true'), mapFilter((k, v) -> JSONType(v) = 'Bool', CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra.service.action" Nullable(String) MATERIALIZED multiIf(mapContains("extra_string", 'service.action'), replaceAll(toJSONString("extra_string"['service.action']), '\\/', '/'), mapContains("extra_long", 'service.action'), toString("extra_long"['service.action']), mapContains("extra_double", 'service.action'), toString("extra_double"['service.action']), mapContains("extra_bool", 'service.action'), if("extra_bool"['service.action'], 'true', 'false'), nullIf(JSONExtractRaw(extra, 'service.action'), ''));

ALTER TABLE "threatlake".events ON CLUSTER "threatlake" ADD COLUMN IF NOT EXISTS "extra_string" Map(LowCardinality(String), String) MATERIALIZED mapApply((k, v) -> (k, JSONExtractString(v)), mapFilter((k, v) -> JSONType(v) = 'String', CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra_long" Map(LowCardinality(String), Int64) MATERIALIZED mapApply((k, v) -> (k, JSONExtractInt(v)), mapFilter((k, v) -> JSONType(v) = 'Int64' AND toString(JSONExtractInt(v)) = v, CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra_double" Map(LowCardinality(String), Float64) MATERIALIZED mapApply((k, v) -> (k, toFloat64(v)), mapFilter((k, v) -> JSONType(v) = 'Double' AND toString(toFloat64(v)) = v, CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra_bool" Map(LowCardinality(String), Bool) MATERIALIZED mapApply((k, v) -> (k, v = 'true'), mapFilter((k, v) -> JSONType(v) = 'Bool', CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map(LowCardinality(String), String)))), ADD COLUMN IF NOT EXISTS "extra.service.action" Nullable(String) MATERIALIZED multiIf(mapContains("extra_string", 'service.action'), replaceAll(toJSONString("extra_string"['service.action']), '\\/', '/'), mapContains("extra_long", 'service.action'), toString("extra_long"['service.action']), mapContains("extra_double", 'service.action'), toString("extra_double"['service.action']), mapContains("extra_bool", 'service.action'), if("extra_bool"['service.action'], 'true', 'false'), nullIf(JSONExtractRaw(extra, 'service.action'), ''));

ALTER TABLE "threatlake".events_local ON CLUSTER "threatlake" MATERIALIZE COLUMN "extra_string", MATERIALIZE COLUMN "extra_long", MATERIALIZE COLUMN "extra_double", MATERIALIZE COLUMN "extra_bool", MATERIALIZE COLUMN "extra.service.action";

