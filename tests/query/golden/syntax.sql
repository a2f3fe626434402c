-- search-operator
-- | fetch security.events | filter finding.title ~ "PROBE" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND CONTAINS(LOWER("finding.title"), LOWER($3)) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "PROBE", 1001]

-- align
-- | fetch security.events | fields x = timestamp @ 1d
SELECT MAKE_TIMESTAMP(EPOCH_US("timestamp") - EPOCH_US("timestamp") % NULLIF(CAST($1 AS BIGINT) // 1000, 0)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [86400000000000, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- integer-division
-- | fetch security.events | fields x = finding.count / 2
SELECT "finding.count" // NULLIF(CAST($1 AS BIGINT), 0) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- in-subquery
-- | fetch security.events | filter object.id in [fetch security.events | filter dt.security.risk.level == "CRITICAL" | fields object.id] | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND "object.id" IN (SELECT "object.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND "dt.security.risk.level" = $3) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "CRITICAL", 1001]

-- extra-field
-- | fetch security.events | filter service.count > 10 | fields event.id, service.action
SELECT "event.id", "extra" -> $1 AS "service.action" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) AND CASE WHEN JSON_TYPE("extra" -> $4) = 'ARRAY' THEN LEN(LIST_FILTER(TRY_CAST("extra" -> $4 AS JSON[]), LAMBDA __e : TRY_CAST(__e ->> '$' AS DOUBLE) > CAST($5 AS BIGINT))) > 0 ELSE TRY_CAST(("extra" -> $4) ->> '$' AS DOUBLE) > CAST($5 AS BIGINT) END LIMIT $6;
-- params: ["$.\"service.action\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", "$.\"service.count\"", 10, 1001]

-- record-access
-- | fetch security.events | fields x = record(a = record(b = event.id))[a][b], y = actor.ips[0]
SELECT STRUCT_EXTRACT(STRUCT_EXTRACT({'a': {'b': "event.id"}}, 'a'), 'b') AS "x", LIST_EXTRACT("actor.ips", CAST($1 AS BIGINT)) AS "y" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- timestamp-shift
-- | fetch security.events | fields x = timestamp - 1h, y = now() - 90s
SELECT TRY("timestamp" - TO_MICROSECONDS(CAST($1 AS BIGINT) // 1000)) AS "x", TRY(CAST($2 AS TIMESTAMP) - TO_MICROSECONDS(CAST($3 AS BIGINT) // 1000)) AS "y" FROM events WHERE "timestamp" >= CAST($4 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $5;
-- params: [3600000000000, "2026-01-01 12:00:00", 90000000000, "2025-12-31 12:00:00", 1001]

-- iterate
-- | fetch security.events | fields x = actor.ips[]
SELECT LIST_TRANSFORM(RANGE(1, LEN("actor.ips") + 1), LAMBDA __i1 : LIST_EXTRACT("actor.ips", __i1)) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- backtick
-- | fetch security.events | summarize `Open findings` = count()
SELECT COUNT(*) AS "Open findings" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- xor
-- | fetch security.events | fields x = finding.count > 1 xor finding.count < 3
SELECT ("finding.count" > CAST($1 AS BIGINT)) <> ("finding.count" < CAST($2 AS BIGINT)) AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: [1, 3, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- comments
-- | fetch security.events // the source
-- | | /* keep */ fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- array-equals-value
-- | fetch security.events | filter actor.ips == "10.0.0.3" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND LEN(LIST_FILTER("actor.ips", LAMBDA __e : __e = $3)) > 0 LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "10.0.0.3", 1001]

-- array-not-equal
-- | fetch security.events | filter actor.ips != "10.0.0.3" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND NOT (LEN(LIST_FILTER("actor.ips", LAMBDA __e : __e = $3)) > 0) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "10.0.0.3", 1001]

-- array-in-list
-- | fetch security.events | filter in(actor.ips, {"10.0.0.3", "10.0.0.6"}) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND (LEN(LIST_FILTER("actor.ips", LAMBDA __e : __e = $3)) > 0 OR LEN(LIST_FILTER("actor.ips", LAMBDA __e : __e = $4)) > 0) LIMIT $5;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "10.0.0.3", "10.0.0.6", 1001]

-- extra-equals-value
-- | fetch security.events | filter mitre.techniques == "T1046" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND CASE WHEN JSON_TYPE("extra" -> $3) = 'ARRAY' THEN LEN(LIST_FILTER(TRY_CAST("extra" -> $3 AS JSON[]), LAMBDA __e : (__e ->> '$') = $4)) > 0 ELSE (("extra" -> $3) ->> '$') = $4 END LIMIT $5;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "$.\"mitre.techniques\"", "T1046", 1001]

-- extra-aggregate
-- | fetch security.events | summarize x = round(takeMax(service.count), decimals:1), y = min(service.count) + 1
SELECT FLOOR(TRY_CAST(COALESCE(ARG_MAX("extra" -> $1, TRY_CAST(("extra" -> $1) ->> '$' AS DOUBLE)), MAX("extra" -> $1)) ->> '$' AS DOUBLE) * CAST($2 AS DOUBLE) + 0.5) / CAST($2 AS DOUBLE) AS "x", TRY_CAST(COALESCE(ARG_MIN("extra" -> $1, TRY_CAST(("extra" -> $1) ->> '$' AS DOUBLE)), MIN("extra" -> $1)) ->> '$' AS DOUBLE) + CAST($3 AS BIGINT) AS "y" FROM events WHERE "timestamp" >= CAST($4 AS TIMESTAMP) AND "timestamp" < CAST($5 AS TIMESTAMP) LIMIT $6;
-- params: ["$.\"service.count\"", 10.0, 1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- extra-array-size
-- | fetch security.events | fields n = arraySize(mitre.techniques)
SELECT CAST(LEN(TRY_CAST("extra" -> $1 AS JSON[])) AS BIGINT) AS "n" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["$.\"mitre.techniques\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- sort-record
-- | fetch security.events | sort {dt.security.risk.score, direction:"descending"}, event.id | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) ORDER BY "dt.security.risk.score" DESC, "event.id" ASC LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- braced-fields-add
-- | fetch security.events | fieldsAdd {a = finding.count * 2, b = lower(event.id)} | fields a, b
SELECT TRY("finding.count" * CAST($1 AS BIGINT)) AS "a", LOWER("event.id") AS "b" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- brace-array-argument
-- | fetch security.events | fields x = arrayConcat({"a", "b"}, actor.ips)
SELECT LIST_CONCAT([$1, $2], "actor.ips") AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["a", "b", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- alias-parameter
-- | fetch security.events | summarize count(), alias:total, by:{event.provider} | sort total desc
SELECT "event.provider", COUNT(*) AS "total" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) GROUP BY "event.provider" ORDER BY COUNT(*) DESC LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- flatten-record
-- | fetch security.events | fieldsAdd r = record(a = event.id, b = record(c = finding.count)) | fieldsFlatten r, prefix:"x.", depth:2 | fields x.a, x.b.c
SELECT STRUCT_EXTRACT({'a': "event.id", 'b': {'c': "finding.count"}}, 'a') AS "x.a", STRUCT_EXTRACT(STRUCT_EXTRACT({'a': "event.id", 'b': {'c': "finding.count"}}, 'b'), 'c') AS "x.b.c" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- flatten-fields
-- | fetch security.events | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, fields:{severity} | fields raw.severity
SELECT TRY_CAST(CASE WHEN JSON_TYPE(TRY_CAST("dt.raw_data" AS JSON)) = 'OBJECT' THEN TRY_CAST("dt.raw_data" AS JSON) END AS JSON) -> $1 AS "raw.severity" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["$.\"severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-json-flat
-- | fetch security.events | parse dt.raw_data, "JSON{STRING:id, INT:severity}(flat=true)" | fields id, severity
SELECT (TRY_CAST("dt.raw_data" AS JSON) -> $1) ->> '$' AS "id", TRY_CAST((TRY_CAST("dt.raw_data" AS JSON) -> $2) ->> '$' AS BIGINT) AS "severity" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["$.\"id\"", "$.\"severity\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-json-record
-- | fetch security.events | parse dt.raw_data, "JSON{STRING:id, JSON:resource}:r" | fields r
SELECT {'id': ((TRY_CAST("dt.raw_data" AS JSON) -> $1) ->> '$'), 'resource': (TRY_CAST("dt.raw_data" AS JSON) -> $2)} AS "r" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["$.\"id\"", "$.\"resource\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-json-array
-- | fetch security.events | parse toString(actor.ips), "JSON_ARRAY{STRING}(typed=true):ips" | fields ips
SELECT TRY_CAST(TRY_CAST(TRY_CAST(TRY_CAST("actor.ips" AS JSON) AS TEXT) AS JSON) AS TEXT[]) AS "ips" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-sequence
-- | fetch security.events | parse finding.title, "LD 'Finding ' INT:n SPACE LD:rest" | fields n, rest
SELECT CASE WHEN REGEXP_MATCHES("finding.title", $1) THEN TRY_CAST(REGEXP_EXTRACT("finding.title", $1, 1) AS BIGINT) END AS "n", CASE WHEN REGEXP_MATCHES("finding.title", $1) THEN REGEXP_EXTRACT("finding.title", $1, 2) END AS "rest" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["^[^\\n]*?Finding ([+-]?\\d+)[ \\t]+([^\\n]*)", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- parse-timestamp
-- | fetch security.events | parse "2026-01-01 10:00:00 x", "TIMESTAMP('yyyy-MM-dd HH:mm:ss'):t SPACE LD:m" | fields t, m
SELECT CASE WHEN REGEXP_MATCHES($1, $2) THEN TRY_STRPTIME(REGEXP_EXTRACT($1, $2, 1), $3) END AS "t", CASE WHEN REGEXP_MATCHES($1, $2) THEN REGEXP_EXTRACT($1, $2, 2) END AS "m" FROM events WHERE "timestamp" >= CAST($4 AS TIMESTAMP) AND "timestamp" < CAST($5 AS TIMESTAMP) LIMIT $6;
-- params: ["2026-01-01 10:00:00 x", "^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})[ \\t]+([^\\n]*)", "%Y-%m-%d %H:%M:%S", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- events-view
-- | fetch events, bucket:{"default_security_custom_events"} | filter dt.system.bucket == "default_security_custom_events" | fields event.id, dt.system.bucket
SELECT "event.id", CASE WHEN "dt.system.bucket" = 'default_securityevents' THEN 'default_security_custom_events' WHEN "dt.system.bucket" = 'demo_security_events' THEN 'default_security_custom_events' ELSE "dt.system.bucket" END AS "dt.system.bucket" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND CASE WHEN "dt.system.bucket" = 'default_securityevents' THEN 'default_security_custom_events' WHEN "dt.system.bucket" = 'demo_security_events' THEN 'default_security_custom_events' ELSE "dt.system.bucket" END = $3 AND CASE WHEN "dt.system.bucket" = 'default_securityevents' THEN 'default_security_custom_events' WHEN "dt.system.bucket" = 'demo_security_events' THEN 'default_security_custom_events' ELSE "dt.system.bucket" END = $3 LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "default_security_custom_events", 1001]

-- timeseries-interval-widened
-- | fetch security.events, from:-3650d | makeTimeseries count(default:0), interval:1h
SELECT {'start': CAST($1 AS TIMESTAMP), 'end': CAST($2 AS TIMESTAMP)} AS "timeframe", CAST($3 AS BIGINT) AS "interval", LIST_TRANSFORM(RANGE(CAST($4 AS BIGINT)), LAMBDA __b : COALESCE(MAP_EXTRACT_VALUE("__m0", __b), CAST($5 AS BIGINT))) AS "count()" FROM (SELECT MAP(LIST("__bin"), LIST("count()")) AS "__m0" FROM (SELECT COUNT(*) AS "count()", (EPOCH_US("timestamp") - EPOCH_US(CAST($1 AS TIMESTAMP))) // CAST($6 AS BIGINT) AS "__bin" FROM events WHERE "timestamp" >= CAST($7 AS TIMESTAMP) AND "timestamp" < CAST($8 AS TIMESTAMP) AND "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) GROUP BY (EPOCH_US("timestamp") - EPOCH_US(CAST($1 AS TIMESTAMP))) // CAST($6 AS BIGINT)) AS t1 HAVING COUNT(*) > 0) AS t2 LIMIT $9;
-- params: ["2016-01-03 00:00:00", "2026-01-04 00:00:00", 259200000000000, 1218, 0, 259200000000, "2016-01-04 12:00:00", "2026-01-01 12:00:00", 1001]

-- dynamic-sort
-- | fetch security.events | sort service.count desc | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) ORDER BY TRY_CAST(("extra" -> $3) ->> '$' AS DOUBLE) DESC, (("extra" -> $3) ->> '$') DESC, "timestamp" DESC, "event.id" DESC LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "$.\"service.count\"", 1001]

-- matches-any-pattern
-- | fetch security.events | filter matchesValue(event.id, {"e0*", "e1*"}) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND REGEXP_MATCHES("event.id", $3) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "(?:(?is)^e0.*$)|(?:(?is)^e1.*$)", 1001]

-- time-part-of-null
-- | fetch security.events | fields x = getDayOfWeek(null)
SELECT CAST(ISODOW(TRY_CAST(NULL AS TIMESTAMP)) AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]
