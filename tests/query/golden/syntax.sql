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
