-- fetch
-- | fetch security.events, from:-7d, to:-1h, bucket:{"default_*", "custom"}, scanLimitGBytes:-1
SELECT "timestamp", "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "product.vendor", "product.name", "finding.id", "finding.title", "finding.description", "finding.type", "finding.types", "finding.severity", "finding.score", "finding.time.created", "finding.time.updated", "finding.status", "finding.record_state", "finding.count", "finding.url", "finding.result", "dt.security.risk.level", "dt.security.risk.score", "object.id", "object.name", "object.type", "aws.account.id", "aws.region", "aws.availability_zone", "aws.resource.id", "aws.resource.type", "aws.resource.name", "cloud.provider", "dt.system.bucket", "dt.openpipeline.source", "dt.ingest.connection", "dt.ingest.time", "dt.raw_data", "container.id", "container.name", "container.image.name", "container.image.version", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "detection.type", "actor.ips", "actor.geo.country.name", "threat.purpose", "network.direction", "network.port", "network.protocol", "vulnerability.id", "vulnerability.title", "vulnerability.description", "vulnerability.references.cve", "vulnerability.cvss.base_score", "vulnerability.cvss.version", "vulnerability.exploit_available", "vulnerability.fix_available", "component.name", "component.version", "component.fixed_version", "container_image.repository", "container_image.digest", "container_image.tags", "rule.id", "rule.name", "compliance.control", "compliance.standards", "compliance.requirements", "compliance.status", "extra" AS "__extra__" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND (REGEXP_FULL_MATCH("dt.system.bucket", $3) OR "dt.system.bucket" = $4) LIMIT $5;
-- params: ["2025-12-25 12:00:00", "2026-01-01 11:00:00", "^default_.*$", "custom", 1001]

-- filter
-- | fetch security.events | filter event.provider == "Amazon GuardDuty" and not (finding.count > 2) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND ("event.provider" = $3 AND NOT ("finding.count" > CAST($4 AS BIGINT))) LIMIT $5;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "Amazon GuardDuty", 2, 1001]

-- filterOut
-- | fetch security.events | filterOut finding.count == 1 | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND NOT COALESCE(("finding.count" = CAST($3 AS BIGINT)), FALSE) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1, 1001]

-- search
-- | fetch dt.system.buckets | search "CUSTOM"
SELECT "name", "display_name", "table", "status", "retention_days", "type", "updatable", "version", "records", "created" FROM (SELECT "b"."name" AS "name", "b"."name" AS "display_name", 'security.events' AS "table", 'active' AS "status", CAST("b"."retention_days" AS BIGINT) AS "retention_days", CASE WHEN "b"."name" = 'default_securityevents' THEN 'default' ELSE 'custom' END AS "type", NOT ("b"."name" = 'default_securityevents') AS "updatable", 1 AS "version", COALESCE("r"."n", 0) AS "records", "b"."created" AS "created" FROM buckets AS b LEFT JOIN (SELECT "dt.system.bucket" AS "bucket", COUNT(*) AS "n" FROM events GROUP BY "dt.system.bucket") AS r ON "r"."bucket" = "b"."name") AS t1 WHERE (CONTAINS(LOWER("name"), LOWER($1)) OR CONTAINS(LOWER("display_name"), LOWER($1)) OR CONTAINS(LOWER("table"), LOWER($1)) OR CONTAINS(LOWER("status"), LOWER($1)) OR CONTAINS(LOWER("type"), LOWER($1))) LIMIT $2;
-- params: ["CUSTOM", 1001]

-- fields
-- | fetch security.events | fields event.id, score = dt.security.risk.score * 2
SELECT "event.id", "dt.security.risk.score" * CAST($1 AS BIGINT) AS "score" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsKeep
-- | fetch security.events | fieldsKeep "event.*", timestamp
SELECT "event.id", "event.kind", "event.type", "event.provider", "event.name", "event.description", "timestamp" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsAdd
-- | fetch security.events | fieldsAdd double = finding.count * 2 | fields event.id, double
SELECT "event.id", TRY("finding.count" * CAST($1 AS BIGINT)) AS "double" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsRemove
-- | fetch security.events | fields event.id, event.type, object.id | fieldsRemove "object.*", event.type
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsRename
-- | fetch security.events | fields event.id | fieldsRename id = event.id
SELECT "event.id" AS "id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- fieldsFlatten
-- | fetch security.events | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, depth:2 | fields event.id, raw.severity
SELECT "event.id", JSON_MERGE_PATCH("extra", COALESCE(CASE WHEN LEN(FLATTEN(LIST_TRANSFORM(LIST_TRANSFORM(JSON_KEYS(TRY_CAST(CASE WHEN JSON_TYPE(TRY_CAST("dt.raw_data" AS JSON)) = 'OBJECT' THEN TRY_CAST("dt.raw_data" AS JSON) END AS JSON)), LAMBDA __k : {'k': $1 || __k, 'v': (TRY_CAST(CASE WHEN JSON_TYPE(TRY_CAST("dt.raw_data" AS JSON)) = 'OBJECT' THEN TRY_CAST("dt.raw_data" AS JSON) END AS JSON) -> ('$."' || REPLACE(__k, '"', '\"') || '"'))}), LAMBDA __e : CASE WHEN JSON_TYPE(__e.v) = 'OBJECT' THEN LIST_TRANSFORM(JSON_KEYS(__e.v), LAMBDA __k : {'k': __e.k || '.' || __k, 'v': (__e.v -> ('$."' || REPLACE(__k, '"', '\"') || '"'))}) ELSE [__e] END))) = 0 THEN NULL ELSE TRY_CAST(TO_JSON(MAP_FROM_ENTRIES(FLATTEN(LIST_TRANSFORM(LIST_TRANSFORM(JSON_KEYS(TRY_CAST(CASE WHEN JSON_TYPE(TRY_CAST("dt.raw_data" AS JSON)) = 'OBJECT' THEN TRY_CAST("dt.raw_data" AS JSON) END AS JSON)), LAMBDA __k : {'k': $1 || __k, 'v': (TRY_CAST(CASE WHEN JSON_TYPE(TRY_CAST("dt.raw_data" AS JSON)) = 'OBJECT' THEN TRY_CAST("dt.raw_data" AS JSON) END AS JSON) -> ('$."' || REPLACE(__k, '"', '\"') || '"'))}), LAMBDA __e : CASE WHEN JSON_TYPE(__e.v) = 'OBJECT' THEN LIST_TRANSFORM(JSON_KEYS(__e.v), LAMBDA __k : {'k': __e.k || '.' || __k, 'v': (__e.v -> ('$."' || REPLACE(__k, '"', '\"') || '"'))}) ELSE [__e] END)))) AS JSON) END, CAST('{}' AS JSON))) -> $2 AS "raw.severity" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["raw.", "$.\"raw.severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- summarize
-- | fetch security.events | summarize count(), high = countIf(dt.security.risk.level == "HIGH"), by:{event.provider}
SELECT "event.provider", COUNT(*) AS "count()", COUNT(*) FILTER(WHERE "dt.security.risk.level" = $1) AS "high" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) GROUP BY "event.provider" LIMIT $4;
-- params: ["HIGH", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- sort
-- | fetch security.events | fields event.id, dt.security.risk.score | sort dt.security.risk.score desc, event.id
SELECT "event.id", "dt.security.risk.score" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) ORDER BY "dt.security.risk.score" DESC, "event.id" ASC LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- limit
-- | fetch security.events | fields event.id | limit 5
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) ORDER BY "timestamp" DESC, "event.id" DESC LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 5]

-- dedup
-- | fetch security.events | fields object.id, timestamp | dedup {object.id}, sort:{timestamp desc}
SELECT "object.id", "timestamp" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) QUALIFY ROW_NUMBER() OVER (PARTITION BY "object.id" ORDER BY "timestamp" DESC) = 1 LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- makeTimeseries
-- | fetch security.events | makeTimeseries count(default:0), by:{event.provider}, interval:1h
SELECT "event.provider", {'start': CAST($1 AS TIMESTAMP), 'end': CAST($2 AS TIMESTAMP)} AS "timeframe", CAST($3 AS BIGINT) AS "interval", LIST_TRANSFORM(RANGE(CAST($4 AS BIGINT)), LAMBDA __b : COALESCE(MAP_EXTRACT_VALUE("__m0", __b), CAST($5 AS BIGINT))) AS "count()" FROM (SELECT "event.provider", MAP(LIST("__bin"), LIST("count()")) AS "__m0" FROM (SELECT "event.provider" AS "event.provider", COUNT(*) AS "count()", (EPOCH_US("timestamp") - EPOCH_US(CAST($1 AS TIMESTAMP))) // CAST($6 AS BIGINT) AS "__bin" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) GROUP BY "event.provider", (EPOCH_US("timestamp") - EPOCH_US(CAST($1 AS TIMESTAMP))) // CAST($6 AS BIGINT)) AS t1 GROUP BY "event.provider") AS t2 LIMIT $7;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 3600000000000, 24, 0, 3600000000, 1001]

-- expand
-- | fetch security.events | fields event.id, actor.ips | expand ip = actor.ips
SELECT "event.id", "actor.ips", "ip" FROM (SELECT "event.id", "actor.ips", UNNEST("actor.ips") AS "ip" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP)) AS t1 LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse
-- | fetch security.events | parse dt.raw_data, "JSON:raw" | fields event.id, severity = raw[severity]
SELECT "event.id", TRY_CAST(CASE WHEN JSON_TYPE(TRY_CAST("dt.raw_data" AS JSON)) = 'OBJECT' THEN TRY_CAST("dt.raw_data" AS JSON) END AS JSON) -> $1 AS "severity" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["$.\"severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- append
-- | fetch security.events | fields event.id | limit 1 | append [fetch dt.system.buckets | fields name]
SELECT "event.id", "name" FROM (SELECT * FROM (SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) ORDER BY "timestamp" DESC, "event.id" DESC LIMIT $3) AS t2 UNION ALL BY NAME SELECT * FROM (SELECT "name" FROM (SELECT "b"."name" AS "name", "b"."name" AS "display_name", 'security.events' AS "table", 'active' AS "status", CAST("b"."retention_days" AS BIGINT) AS "retention_days", CASE WHEN "b"."name" = 'default_securityevents' THEN 'default' ELSE 'custom' END AS "type", NOT ("b"."name" = 'default_securityevents') AS "updatable", 1 AS "version", COALESCE("r"."n", 0) AS "records", "b"."created" AS "created" FROM buckets AS b LEFT JOIN (SELECT "dt.system.bucket" AS "bucket", COUNT(*) AS "n" FROM events GROUP BY "dt.system.bucket") AS r ON "r"."bucket" = "b"."name") AS t1) AS t3) AS t4 LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1, 1001]

-- lookup
-- | fetch security.events | fields event.id, object.id | lookup [fetch security.events | fields object.id, vulnerability.id], sourceField:object.id, lookupField:object.id
SELECT "t1"."event.id", "t1"."object.id", "t2"."object.id" AS "lookup.object.id", "t2"."vulnerability.id" AS "lookup.vulnerability.id" FROM (SELECT "event.id", "object.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP)) AS t1 LEFT JOIN (SELECT "object.id", "vulnerability.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) QUALIFY ROW_NUMBER() OVER (PARTITION BY "object.id" ORDER BY "timestamp" DESC, "event.id" DESC) = 1) AS t2 ON t1."object.id" = "t2"."object.id" LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- join
-- | fetch security.events | fields event.id, object.id | join [fetch security.events | summarize n = count(), by:{object.id}], on:{left[object.id] == right[object.id]}, kind:leftOuter
SELECT "t1"."event.id", "t1"."object.id", "t2"."object.id" AS "right.object.id", "t2"."n" AS "right.n" FROM (SELECT "event.id", "object.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP)) AS t1 LEFT JOIN (SELECT "object.id", COUNT(*) AS "n" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) GROUP BY "object.id") AS t2 ON t1."object.id" = "t2"."object.id" LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]
