-- search-operator
-- | fetch security.events | filter finding.title ~ "PROBE" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND positionUTF8(LOWER("finding.title"), LOWER({p3: String})) > 0 LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "PROBE", 1001]

-- align
-- | fetch security.events | fields x = timestamp @ 1d
SELECT fromUnixTimestamp64Micro(toUnixTimestamp64Micro("timestamp") - toUnixTimestamp64Micro("timestamp") % nullIf(CAST(CAST({p1: Int64} AS Nullable(Int64)) / 1000 AS Nullable(Int64)), 0)) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [86400000000000, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- integer-division
-- | fetch security.events | fields x = finding.count / 2
SELECT CAST("finding.count" / nullIf(CAST({p1: Int64} AS Nullable(Int64)), 0) AS Nullable(Int64)) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- in-subquery
-- | fetch security.events | filter object.id in [fetch security.events | filter dt.security.risk.level == "CRITICAL" | fields object.id] | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "object.id" IN (SELECT "object.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "dt.security.risk.level" = {p3: String}) LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "CRITICAL", 1001]

-- extra-field
-- | fetch security.events | filter service.count > 10 | fields event.id, service.action
SELECT "event.id", nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '') AS "service.action" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) AND CASE WHEN UPPER(toString(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p4: String}, 3))), '')))) = 'ARRAY' THEN length(arrayFilter(__e -> accurateCastOrNull(if(JSONType(__e) = 'String', JSONExtractString(__e), nullIf(__e, 'null')), 'Nullable(Float64)') > CAST({p5: Int64} AS Nullable(Int64)), JSONExtractArrayRaw(ifNull(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p4: String}, 3))), ''), '')))) > 0 ELSE accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p4: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p4: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p4: String}, 3))), ''), 'null')), 'Nullable(Float64)') > CAST({p5: Int64} AS Nullable(Int64)) END LIMIT {p6: Int64};
-- params: ["$.\"service.action\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", "$.\"service.count\"", 10, 1001]

-- record-access
-- | fetch security.events | fields x = record(a = record(b = event.id))[a][b], y = actor.ips[0]
SELECT tupleElement(tupleElement(tuple(tuple("event.id" AS "b") AS "a"), 'a'), 'b') AS "x", if(has("absent_arrays", 'actor.ips'), NULL, arrayElementOrNull("actor.ips", CAST({p1: Int64} AS Nullable(Int64)))) AS "y" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- timestamp-shift
-- | fetch security.events | fields x = timestamp - 1h, y = now() - 90s
SELECT "timestamp" - toIntervalMicrosecond(CAST(CAST({p1: Int64} AS Nullable(Int64)) / 1000 AS Nullable(Int64))) AS "x", CAST({p2: DateTime64(6)} AS DateTime64(6)) - toIntervalMicrosecond(CAST(CAST({p3: Int64} AS Nullable(Int64)) / 1000 AS Nullable(Int64))) AS "y" FROM events WHERE "timestamp" >= CAST({p4: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: [3600000000000, "2026-01-01 12:00:00", 90000000000, "2025-12-31 12:00:00", 1001]

-- iterate
-- | fetch security.events | fields x = actor.ips[]
SELECT arrayMap(__i1 -> arrayElementOrNull("actor.ips", __i1), range(1, length("actor.ips") + 1)) AS "x", toNullable(has("absent_arrays", 'actor.ips')) AS "__null__.x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- backtick
-- | fetch security.events | summarize `Open findings` = count()
SELECT COUNT(*) AS "Open findings" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- xor
-- | fetch security.events | fields x = finding.count > 1 xor finding.count < 3
SELECT ("finding.count" > CAST({p1: Int64} AS Nullable(Int64))) <> ("finding.count" < CAST({p2: Int64} AS Nullable(Int64))) AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: [1, 3, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- comments
-- | fetch security.events // the source
-- | | /* keep */ fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- array-equals-value
-- | fetch security.events | filter actor.ips == "10.0.0.3" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND if(has("absent_arrays", 'actor.ips'), NULL, length(arrayFilter(__e -> __e = {p3: String}, "actor.ips")) > 0) LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "10.0.0.3", 1001]

-- array-not-equal
-- | fetch security.events | filter actor.ips != "10.0.0.3" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND if(has("absent_arrays", 'actor.ips'), NULL, NOT (length(arrayFilter(__e -> __e = {p3: String}, "actor.ips")) > 0)) LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "10.0.0.3", 1001]

-- array-in-list
-- | fetch security.events | filter in(actor.ips, {"10.0.0.3", "10.0.0.6"}) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND (if(has("absent_arrays", 'actor.ips'), NULL, length(arrayFilter(__e -> __e = {p3: String}, "actor.ips")) > 0) OR if(has("absent_arrays", 'actor.ips'), NULL, length(arrayFilter(__e -> __e = {p4: String}, "actor.ips")) > 0)) LIMIT {p5: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "10.0.0.3", "10.0.0.6", 1001]

-- extra-equals-value
-- | fetch security.events | filter mitre.techniques == "T1046" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND CASE WHEN UPPER(toString(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')))) = 'ARRAY' THEN length(arrayFilter(__e -> if(JSONType(__e) = 'String', JSONExtractString(__e), nullIf(__e, 'null')) = {p4: String}, JSONExtractArrayRaw(ifNull(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), ''), '')))) > 0 ELSE if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), ''), 'null')) = {p4: String} END LIMIT {p5: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "$.\"mitre.techniques\"", "T1046", 1001]

-- extra-aggregate
-- | fetch security.events | summarize x = round(takeMax(service.count), decimals:1), y = min(service.count) + 1
SELECT FLOOR(accurateCastOrNull(if(JSONType(COALESCE(argMax(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), 'null')), 'Nullable(Float64)')), MAX(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')))) = 'String', JSONExtractString(COALESCE(argMax(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), 'null')), 'Nullable(Float64)')), MAX(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')))), nullIf(COALESCE(argMax(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), 'null')), 'Nullable(Float64)')), MAX(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''))), 'null')), 'Nullable(Float64)') * CAST({p2: Float64} AS Nullable(Float64)) + 0.5) / CAST({p2: Float64} AS Nullable(Float64)) AS "x", accurateCastOrNull(if(JSONType(COALESCE(argMin(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), 'null')), 'Nullable(Float64)')), MIN(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')))) = 'String', JSONExtractString(COALESCE(argMin(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), 'null')), 'Nullable(Float64)')), MIN(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')))), nullIf(COALESCE(argMin(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), 'null')), 'Nullable(Float64)')), MIN(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''))), 'null')), 'Nullable(Float64)') + CAST({p3: Int64} AS Nullable(Int64)) AS "y" FROM events WHERE "timestamp" >= CAST({p4: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p5: DateTime64(6)} AS DateTime64(6)) LIMIT {p6: Int64};
-- params: ["$.\"service.count\"", 10.0, 1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- extra-array-size
-- | fetch security.events | fields n = arraySize(mitre.techniques)
SELECT CAST(if(JSONType(ifNull(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), '')) = 'Array', length(JSONExtractArrayRaw(ifNull(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''), ''))), NULL) AS Nullable(Int64)) AS "n" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["$.\"mitre.techniques\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- sort-record
-- | fetch security.events | sort {dt.security.risk.score, direction:"descending"}, event.id | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) ORDER BY "dt.security.risk.score" DESC, "event.id" ASC LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- braced-fields-add
-- | fetch security.events | fieldsAdd {a = finding.count * 2, b = lower(event.id)} | fields a, b
SELECT "finding.count" * CAST({p1: Int64} AS Nullable(Int64)) AS "a", LOWER("event.id") AS "b" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- brace-array-argument
-- | fetch security.events | fields x = arrayConcat({"a", "b"}, actor.ips)
SELECT arrayConcat([{p1: String}, {p2: String}], "actor.ips") AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: ["a", "b", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- alias-parameter
-- | fetch security.events | summarize count(), alias:total, by:{event.provider} | sort total desc
SELECT "event.provider", COUNT(*) AS "total" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) GROUP BY "event.provider" ORDER BY COUNT(*) DESC LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- flatten-record
-- | fetch security.events | fieldsAdd r = record(a = event.id, b = record(c = finding.count)) | fieldsFlatten r, prefix:"x.", depth:2 | fields x.a, x.b.c
SELECT tupleElement(tuple("event.id" AS "a", tuple("finding.count" AS "c") AS "b"), 'a') AS "x.a", tupleElement(tupleElement(tuple("event.id" AS "a", tuple("finding.count" AS "c") AS "b"), 'b'), 'c') AS "x.b.c" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- flatten-fields
-- | fetch security.events | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, fields:{severity} | fields raw.severity
SELECT nullIf(JSONExtractRaw(CASE WHEN UPPER(toString(JSONType(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL)))) = 'OBJECT' THEN if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL) END, JSONExtractString(substring({p1: String}, 3))), '') AS "raw.severity" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["$.\"severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-json-flat
-- | fetch security.events | parse dt.raw_data, "JSON{STRING:id, INT:severity}(flat=true)" | fields id, severity
SELECT if(JSONType(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p1: String}, 3))), ''), 'null')) AS "id", accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p2: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p2: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p2: String}, 3))), ''), 'null')), 'Nullable(Int64)') AS "severity" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: ["$.\"id\"", "$.\"severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-json-record
-- | fetch security.events | parse dt.raw_data, "JSON{STRING:id, JSON:resource}:r" | fields r
SELECT tuple(if(JSONType(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p1: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p1: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p1: String}, 3))), ''), 'null')) AS "id", nullIf(JSONExtractRaw(if(isValidJSON("dt.raw_data"), "dt.raw_data", NULL), JSONExtractString(substring({p2: String}, 3))), '') AS "resource") AS "r" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: ["$.\"id\"", "$.\"resource\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-json-array
-- | fetch security.events | parse toString(actor.ips), "JSON_ARRAY{STRING}(typed=true):ips" | fields ips
SELECT JSONExtract(ifNull(if(isValidJSON(accurateCastOrNull(toJSONString("actor.ips"), 'Nullable(String)')), accurateCastOrNull(toJSONString("actor.ips"), 'Nullable(String)'), NULL), ''), 'Array(Nullable(String))') AS "ips", toNullable(has("absent_arrays", 'actor.ips')) AS "__null__.ips" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-sequence
-- | fetch security.events | parse finding.title, "LD 'Finding ' INT:n SPACE LD:rest" | fields n, rest
SELECT CASE WHEN match("finding.title", {p1: String}) THEN accurateCastOrNull(REGEXP_EXTRACT("finding.title", {p1: String}, 1), 'Nullable(Int64)') END AS "n", CASE WHEN match("finding.title", {p1: String}) THEN REGEXP_EXTRACT("finding.title", {p1: String}, 2) END AS "rest" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["^[^\\n]*?Finding ([+-]?\\d+)[ \\t]+([^\\n]*)", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-timestamp
-- | fetch security.events | parse "2026-01-01 10:00:00 x", "TIMESTAMP('yyyy-MM-dd HH:mm:ss'):t SPACE LD:m" | fields t, m
SELECT CASE WHEN match({p1: String}, {p2: String}) THEN parseDateTime64BestEffortOrNull(REGEXP_EXTRACT({p1: String}, {p2: String}, 1), 6) END AS "t", CASE WHEN match({p1: String}, {p2: String}) THEN REGEXP_EXTRACT({p1: String}, {p2: String}, 2) END AS "m" FROM events WHERE "timestamp" >= CAST({p4: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p5: DateTime64(6)} AS DateTime64(6)) LIMIT {p6: Int64};
-- params: ["2026-01-01 10:00:00 x", "^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})[ \\t]+([^\\n]*)", "%Y-%m-%d %H:%M:%S", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- events-view
-- | fetch events, bucket:{"default_security_custom_events"} | filter dt.system.bucket == "default_security_custom_events" | fields event.id, dt.system.bucket
SELECT "event.id", CASE WHEN "dt.system.bucket" = 'default_securityevents' THEN 'default_security_custom_events' WHEN "dt.system.bucket" = 'demo_security_events' THEN 'default_security_custom_events' ELSE "dt.system.bucket" END AS "dt.system.bucket" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND CASE WHEN "dt.system.bucket" = 'default_securityevents' THEN 'default_security_custom_events' WHEN "dt.system.bucket" = 'demo_security_events' THEN 'default_security_custom_events' ELSE "dt.system.bucket" END = {p3: String} AND CASE WHEN "dt.system.bucket" = 'default_securityevents' THEN 'default_security_custom_events' WHEN "dt.system.bucket" = 'demo_security_events' THEN 'default_security_custom_events' ELSE "dt.system.bucket" END = {p3: String} LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "default_security_custom_events", 1001]

-- timeseries-interval-widened
-- | fetch security.events, from:-3650d | makeTimeseries count(default:0), interval:1h
SELECT tuple(CAST({p1: DateTime64(6)} AS DateTime64(6)) AS "start", CAST({p2: DateTime64(6)} AS DateTime64(6)) AS "end") AS "timeframe", CAST({p3: Int64} AS Nullable(Int64)) AS "interval", arrayMap(__b -> COALESCE(CASE WHEN mapContains("__m0", __b) THEN "__m0"[__b] ELSE NULL END, CAST({p5: Int64} AS Nullable(Int64))), range(CAST({p4: Int64} AS Nullable(Int64)))) AS "count()" FROM (SELECT mapFromArrays(groupArray("__bin"), groupArray("count()")) AS "__m0" FROM (SELECT COUNT(*) AS "count()", CAST((toUnixTimestamp64Micro("timestamp") - toUnixTimestamp64Micro(CAST({p1: DateTime64(6)} AS DateTime64(6)))) / CAST({p6: Int64} AS Nullable(Int64)) AS Nullable(Int64)) AS "__bin" FROM events WHERE "timestamp" >= CAST({p7: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p8: DateTime64(6)} AS DateTime64(6)) AND "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) GROUP BY CAST((toUnixTimestamp64Micro("timestamp") - toUnixTimestamp64Micro(CAST({p1: DateTime64(6)} AS DateTime64(6)))) / CAST({p6: Int64} AS Nullable(Int64)) AS Nullable(Int64))) AS t1 HAVING COUNT(*) > 0) AS t2 LIMIT {p9: Int64};
-- params: ["2016-01-03 00:00:00", "2026-01-04 00:00:00", 259200000000000, 1218, 0, 259200000000, "2016-01-04 12:00:00", "2026-01-01 12:00:00", 1001]

-- dynamic-sort
-- | fetch security.events | sort service.count desc | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) ORDER BY accurateCastOrNull(if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), ''), 'null')), 'Nullable(Float64)') DESC, (if(JSONType(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')) = 'String', JSONExtractString(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), '')), nullIf(nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p3: String}, 3))), ''), 'null'))) DESC, "timestamp" DESC, "event.id" DESC LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "$.\"service.count\"", 1001]

-- matches-any-pattern
-- | fetch security.events | filter matchesValue(event.id, {"e0*", "e1*"}) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) AND match("event.id", {p3: String}) LIMIT {p4: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "(?:(?is)^e0.*$)|(?:(?is)^e1.*$)", 1001]
