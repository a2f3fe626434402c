-- search-operator
-- | fetch security.events | filter finding.title ~ "PROBE" | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND CONTAINS(LOWER("finding.title"), LOWER($3)) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "PROBE", 1001]

-- align
-- | fetch security.events | fields x = timestamp @ 1d
SELECT MAKE_TIMESTAMP(EPOCH_US("timestamp") - EPOCH_US("timestamp") % (CAST($1 AS BIGINT) // 1000)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
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
SELECT "finding.count" * CAST($1 AS BIGINT) AS "a", LOWER("event.id") AS "b" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [2, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- brace-array-argument
-- | fetch security.events | fields x = arrayConcat({"a", "b"}, actor.ips)
SELECT LIST_CONCAT([$1, $2], "actor.ips") AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["a", "b", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- alias-parameter
-- | fetch security.events | summarize count(), alias:total, by:{event.provider} | sort total desc
SELECT "event.provider", COUNT(*) AS "total" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) GROUP BY "event.provider" LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- matches-any-pattern
-- | fetch security.events | filter matchesValue(event.id, {"e0*", "e1*"}) | fields event.id
SELECT "event.id" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) AND REGEXP_MATCHES("event.id", $3) LIMIT $4;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", "(?:(?is)^e0.*$)|(?:(?is)^e1.*$)", 1001]
