-- fetch
-- | fetch security.events, from:-7d, to:-1h, bucket:{"default_*", "custom"}, scanLimitGBytes:-1
SELECT "timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance.standards", "compliance.requirements", "compliance.status", "extra" AS "__extra__", toNullable(has("absent_arrays", 'finding.types')) AS "__null__.finding.types", toNullable(has("absent_arrays", 'actor.ips')) AS "__null__.actor.ips", toNullable(has("absent_arrays", 'vulnerability.references.cve')) AS "__null__.vulnerability.references.cve", toNullable(has("absent_arrays", 'container_image.tags')) AS "__null__.container_image.tags", toNullable(has("absent_arrays", 'compliance.standards')) AS "__null__.compliance.standards", toNullable(has("absent_arrays", 'compliance.requirements')) AS "__null__.compliance.requirements" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND (match("dt.system.bucket", concat('^(?:', {p3: String}, ')$')) OR "dt.system.bucket" = {p4: String}) LIMIT {p5: Int64};
-- params: ["2025-12-25 12:00:00", "2026-01-01 11:00:00", "^default_.*$", "custom", 1001]

-- filter
-- | fetch security.events | filter event.provider == "Amazon GuardDuty" and not (finding.count > 2) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND ("event.provider" = {p3: String} AND NOT ("finding.count" > CAST({p4: Int64} AS Nullable(Int64)))) LIMIT {p5: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "Amazon GuardDuty", 2, 1001]

-- filterOut
-- | fetch security.events | filterOut finding.count == 1 | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND NOT COALESCE(("finding.count" = CAST({p3: Int64} AS Nullable(Int64))), FALSE) LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1, 1001]

-- search
-- | fetch dt.system.buckets | search "CUSTOM"
SELECT "name", "display_name", "table", "status", "retention_days", "type", "updatable", "version", "records", "created" FROM (SELECT "b"."name" AS "name", "b"."name" AS "display_name", 'security.events' AS "table", 'active' AS "status", CAST("b"."retention_days" AS Nullable(Int64)) AS "retention_days", CASE WHEN "b"."name" = 'default_securityevents' THEN 'default' ELSE 'custom' END AS "type", NOT ("b"."name" = 'default_securityevents') AS "updatable", 1 AS "version", COALESCE("r"."n", 0) AS "records", "b"."created" AS "created" FROM buckets AS b LEFT JOIN (SELECT "dt.system.bucket" AS "bucket", COUNT(*) AS "n" FROM events GROUP BY "dt.system.bucket") AS r ON "r"."bucket" = "b"."name") AS t1 WHERE (positionUTF8(LOWER("name"), LOWER({p1: String})) > 0 OR positionUTF8(LOWER("display_name"), LOWER({p1: String})) > 0 OR positionUTF8(LOWER("table"), LOWER({p1: String})) > 0 OR positionUTF8(LOWER("status"), LOWER({p1: String})) > 0 OR positionUTF8(LOWER("type"), LOWER({p1: String})) > 0) LIMIT {p2: Int64};
-- params: ["CUSTOM", 1001]

-- fields
-- | fetch security.events | fields event.id, score = dt.security.risk.score * 2
SELECT "event.id", "dt.security.risk.score" * CAST({p1: Int64} AS Nullable(Int64)) AS "score" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsKeep
-- | fetch security.events | fieldsKeep "event.*", timestamp
SELECT "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "timestamp" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsAdd
-- | fetch security.events | fieldsAdd double = finding.count * 2 | fields event.id, double
SELECT "event.id", "finding.count" * CAST({p1: Int64} AS Nullable(Int64)) AS "double" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsRemove
-- | fetch security.events | fields event.id, event.type, object.id | fieldsRemove "object.*", event.type
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsRename
-- | fetch security.events | fields event.id | fieldsRename id = event.id
SELECT "event.id" AS "id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsFlatten
-- | fetch security.events | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, depth:2 | fields event.id, raw.severity
SELECT "event.id", JSONExtractRaw(jsonMergePatch("extra", CASE WHEN length(arrayFlatten(arrayMap(__e -> CASE WHEN UPPER(toString(JSONType(__e.v))) = 'OBJECT' THEN arrayMap(__k -> tuple(__e.k || '.' || __k AS "k", JSONExtractRaw(__e.v, '$."' || replaceAll(__k, '"', '\\"') || '"') AS "v"), JSONExtractKeys(__e.v)) ELSE [__e] END, arrayMap(__k -> tuple({p1: String} || __k AS "k", JSONExtractRaw(accurateCastOrNull(CASE WHEN UPPER(toString(JSONType(accurateCastOrNull("dt.raw_data", 'String')))) = 'OBJECT' THEN accurateCastOrNull("dt.raw_data", 'String') END, 'String'), '$."' || replaceAll(__k, '"', '\\"') || '"') AS "v"), JSONExtractKeys(accurateCastOrNull(CASE WHEN UPPER(toString(JSONType(accurateCastOrNull("dt.raw_data", 'String')))) = 'OBJECT' THEN accurateCastOrNull("dt.raw_data", 'String') END, 'String')))))) = 0 THEN NULL ELSE accurateCastOrNull(toJSONString(mapFromArrays(arrayFlatten(arrayMap(__e -> CASE WHEN UPPER(toString(JSONType(__e.v))) = 'OBJECT' THEN arrayMap(__k -> tuple(__e.k || '.' || __k AS "k", JSONExtractRaw(__e.v, '$."' || replaceAll(__k, '"', '\\"') || '"') AS "v"), JSONExtractKeys(__e.v)) ELSE [__e] END, arrayMap(__k -> tuple({p1: String} || __k AS "k", JSONExtractRaw(accurateCastOrNull(CASE WHEN UPPER(toString(JSONType(accurateCastOrNull("dt.raw_data", 'String')))) = 'OBJECT' THEN accurateCastOrNull("dt.raw_data", 'String') END, 'String'), '$."' || replaceAll(__k, '"', '\\"') || '"') AS "v"), JSONExtractKeys(accurateCastOrNull(CASE WHEN UPPER(toString(JSONType(accurateCastOrNull("dt.raw_data", 'String')))) = 'OBJECT' THEN accurateCastOrNull("dt.raw_data", 'String') END, 'String'))))))), 'String') END), {p2: String}) AS "raw.severity" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: ["raw.", "$.\"raw.severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- summarize
-- | fetch security.events | summarize count(), high = countIf(dt.security.risk.level == "HIGH"), by:{event.provider}
SELECT "event.provider", COUNT(*) AS "count()", COUNT(*) FILTER(WHERE "dt.security.risk.level" = {p1: String}) AS "high" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) GROUP BY "event.provider" LIMIT {p4: Int64};
-- params: ["HIGH", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- sort
-- | fetch security.events | fields event.id, dt.security.risk.score | sort dt.security.risk.score desc, event.id
SELECT "event.id", "dt.security.risk.score" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) ORDER BY "dt.security.risk.score" DESC, "event.id" ASC LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- limit
-- | fetch security.events | fields event.id | limit 5
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) ORDER BY "timestamp" DESC, "event.id" DESC LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 5]

-- dedup
-- | fetch security.events | fields object.id, timestamp | dedup {object.id}, sort:{timestamp desc}
SELECT "object.id", "timestamp" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) QUALIFY ROW_NUMBER() OVER (PARTITION BY "object.id" ORDER BY "timestamp" DESC) = 1 LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- makeTimeseries
-- | fetch security.events | makeTimeseries count(default:0), by:{event.provider}, interval:1h
SELECT "event.provider", tuple(CAST({p1: DateTime64(6)} AS DateTime64(6)) AS "start", CAST({p2: DateTime64(6)} AS DateTime64(6)) AS "end") AS "timeframe", CAST({p3: Int64} AS Nullable(Int64)) AS "interval", arrayMap(__b -> COALESCE("__m0"[__b], CAST({p5: Int64} AS Nullable(Int64))), range(CAST({p4: Int64} AS Nullable(Int64)))) AS "count()" FROM (SELECT "event.provider", mapFromArrays(groupArray("__bin"), groupArray("count()")) AS "__m0" FROM (SELECT "event.provider" AS "event.provider", COUNT(*) AS "count()", CAST((toUnixTimestamp64Micro("timestamp") - toUnixTimestamp64Micro(CAST({p1: DateTime64(6)} AS DateTime64(6)))) / CAST({p6: Int64} AS Nullable(Int64)) AS Nullable(Int64)) AS "__bin" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) GROUP BY "event.provider", CAST((toUnixTimestamp64Micro("timestamp") - toUnixTimestamp64Micro(CAST({p1: DateTime64(6)} AS DateTime64(6)))) / CAST({p6: Int64} AS Nullable(Int64)) AS Nullable(Int64))) AS t1 GROUP BY "event.provider") AS t2 LIMIT {p7: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 3600000000000, 24, 0, 3600000000, 1001]

-- expand
-- | fetch security.events | fields event.id, actor.ips | expand ip = actor.ips
SELECT "event.id", "actor.ips", "ip", toNullable("__null__.actor.ips") AS "__null__.actor.ips" FROM (SELECT "event.id", "actor.ips", UNNEST("actor.ips") AS "ip", toNullable(has("absent_arrays", 'actor.ips')) AS "__null__.actor.ips" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6))) AS t1 LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse
-- | fetch security.events | parse dt.raw_data, "JSON:raw" | fields event.id, severity = raw[severity]
SELECT "event.id", JSONExtractRaw(accurateCastOrNull(CASE WHEN UPPER(toString(JSONType(accurateCastOrNull("dt.raw_data", 'String')))) = 'OBJECT' THEN accurateCastOrNull("dt.raw_data", 'String') END, 'String'), {p1: String}) AS "severity" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["$.\"severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- append
-- | fetch security.events | fields event.id | limit 1 | append [fetch dt.system.buckets | fields name]
SELECT "event.id", "name" FROM (SELECT "event.id", NULL AS "name" FROM (SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) ORDER BY "timestamp" DESC, "event.id" DESC LIMIT {p3: Int64}) AS t2 UNION ALL SELECT NULL AS "event.id", "name" FROM (SELECT "name" FROM (SELECT "b"."name" AS "name", "b"."name" AS "display_name", 'security.events' AS "table", 'active' AS "status", CAST("b"."retention_days" AS Nullable(Int64)) AS "retention_days", CASE WHEN "b"."name" = 'default_securityevents' THEN 'default' ELSE 'custom' END AS "type", NOT ("b"."name" = 'default_securityevents') AS "updatable", 1 AS "version", COALESCE("r"."n", 0) AS "records", "b"."created" AS "created" FROM buckets AS b LEFT JOIN (SELECT "dt.system.bucket" AS "bucket", COUNT(*) AS "n" FROM events GROUP BY "dt.system.bucket") AS r ON "r"."bucket" = "b"."name") AS t1) AS t3) AS t4 LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1, 1001]

-- lookup
-- | fetch security.events | fields event.id, object.id | lookup [fetch security.events | fields object.id, vulnerability.id], sourceField:object.id, lookupField:object.id
SELECT "t1"."event.id", "t1"."object.id", "t2"."object.id" AS "lookup.object.id", "t2"."vulnerability.id" AS "lookup.vulnerability.id" FROM (SELECT "event.id", "object.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6))) AS t1 LEFT JOIN (SELECT "object.id", "vulnerability.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) QUALIFY ROW_NUMBER() OVER (PARTITION BY "object.id" ORDER BY "timestamp" DESC, "event.id" DESC) = 1) AS t2 ON t1."object.id" = "t2"."object.id" LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- join
-- | fetch security.events | fields event.id, object.id | join [fetch security.events | summarize n = count(), by:{object.id}], on:{left[object.id] == right[object.id]}, kind:leftOuter
SELECT "t1"."event.id", "t1"."object.id", "t2"."object.id" AS "right.object.id", "t2"."n" AS "right.n" FROM (SELECT "event.id", "object.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6))) AS t1 LEFT JOIN (SELECT "object.id", COUNT(*) AS "n" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) GROUP BY "object.id") AS t2 ON t1."object.id" = "t2"."object.id" LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]
