-- count
-- | fetch security.events | summarize x = count()
SELECT COUNT(*) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- countIf
-- | fetch security.events | summarize x = countIf(event.type == "DETECTION_FINDING")
SELECT COUNT(*) FILTER(WHERE "event.type" = $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["DETECTION_FINDING", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- countDistinct
-- | fetch security.events | summarize x = countDistinct(object.id)
SELECT COUNT(DISTINCT "object.id") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- countDistinctExact
-- | fetch security.events | summarize x = countDistinctExact(object.id)
SELECT COUNT(DISTINCT "object.id") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- sum
-- | fetch security.events | summarize x = sum(finding.count)
SELECT TRY_CAST(SUM(CAST("finding.count" AS BIGINT)) AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- avg
-- | fetch security.events | summarize x = avg(dt.security.risk.score)
SELECT AVG("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- min
-- | fetch security.events | summarize x = min(timestamp)
SELECT MIN("timestamp") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- max
-- | fetch security.events | summarize x = max(dt.security.risk.score)
SELECT MAX("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeFirst
-- | fetch security.events | sort timestamp | summarize x = takeFirst(event.id)
SELECT FIRST("event.id" ORDER BY "timestamp" ASC, "event.id" DESC) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeLast
-- | fetch security.events | sort timestamp | summarize x = takeLast(event.id)
SELECT LAST("event.id" ORDER BY "timestamp" ASC, "event.id" DESC) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeMin
-- | fetch security.events | summarize x = takeMin(event.id)
SELECT MIN("event.id") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeMax
-- | fetch security.events | summarize x = takeMax(event.id)
SELECT MAX("event.id") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeAny
-- | fetch security.events | summarize x = takeAny(event.provider)
SELECT ANY_VALUE("event.provider") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- collectDistinct
-- | fetch security.events | summarize x = collectDistinct(event.provider, maxLength:5)
SELECT LIST_SLICE(ARRAY_AGG(DISTINCT "event.provider") FILTER(WHERE NOT "event.provider" IS NULL), 1, CAST($1 AS BIGINT)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [5, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- collectArray
-- | fetch security.events | summarize x = collectArray(event.id)
SELECT ARRAY_AGG("event.id" ORDER BY "timestamp" DESC, "event.id" DESC) FILTER(WHERE NOT "event.id" IS NULL) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- median
-- | fetch security.events | summarize x = median(dt.security.risk.score)
SELECT MEDIAN("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- percentile
-- | fetch security.events | summarize x = percentile(dt.security.risk.score, 90)
SELECT QUANTILE_CONT("dt.security.risk.score", CAST($1 AS DOUBLE)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [0.9, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- if
-- | fetch security.events | fields x = if(finding.count > 1, "many", else:"few")
SELECT CASE WHEN "finding.count" > CAST($1 AS BIGINT) THEN $2 ELSE $3 END AS "x" FROM events WHERE "timestamp" >= CAST($4 AS TIMESTAMP) AND "timestamp" < CAST($5 AS TIMESTAMP) LIMIT $6;
-- params: [1, "many", "few", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- coalesce
-- | fetch security.events | fields x = coalesce(aws.account.id, "none")
SELECT COALESCE("aws.account.id", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["none", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isNull
-- | fetch security.events | fields x = isNull(finding.count)
SELECT "finding.count" IS NULL AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isNotNull
-- | fetch security.events | fields x = isNotNull(finding.count)
SELECT NOT "finding.count" IS NULL AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- exists
-- | fetch security.events | fields x = exists(service.count)
SELECT NOT ("extra" -> $1) IS NULL AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["$.\"service.count\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isTrueOrNull
-- | fetch security.events | fields x = isTrueOrNull(finding.count > 1)
SELECT COALESCE("finding.count" > CAST($1 AS BIGINT), TRUE) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isFalseOrNull
-- | fetch security.events | fields x = isFalseOrNull(finding.count > 1)
SELECT NOT COALESCE("finding.count" > CAST($1 AS BIGINT), FALSE) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- contains
-- | fetch security.events | fields x = contains(finding.title, "probe", caseSensitive:false)
SELECT CONTAINS(LOWER("finding.title"), LOWER($1)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["probe", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- startsWith
-- | fetch security.events | fields x = startsWith(event.id, "e0")
SELECT STARTS_WITH("event.id", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["e0", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- endsWith
-- | fetch security.events | fields x = endsWith(event.id, "9")
SELECT ENDS_WITH("event.id", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["9", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- matchesPhrase
-- | fetch security.events | fields x = matchesPhrase(finding.title, "port probe")
SELECT REGEXP_MATCHES("finding.title", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["(?is)(?:^|[^\\pL\\pN_])port probe(?:$|[^\\pL\\pN_])", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- matchesValue
-- | fetch security.events | fields x = matchesValue(event.provider, "amazon*")
SELECT REGEXP_MATCHES("event.provider", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["(?is)^amazon.*$", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- lower
-- | fetch security.events | fields x = lower(event.provider)
SELECT LOWER("event.provider") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- upper
-- | fetch security.events | fields x = upper(event.provider)
SELECT UPPER("event.provider") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- concat
-- | fetch security.events | fields x = concat(event.id, "/", finding.count)
SELECT CONCAT("event.id", $1, TRY_CAST("finding.count" AS TEXT)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["/", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- substring
-- | fetch security.events | fields x = substring(event.provider, from:0, to:6)
SELECT SUBSTRING("event.provider", CAST($1 AS BIGINT) + 1, CAST($2 AS BIGINT) - CAST($1 AS BIGINT)) AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: [0, 6, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- stringLength
-- | fetch security.events | fields x = stringLength(event.id)
SELECT CAST(LENGTH("event.id") AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- splitString
-- | fetch security.events | fields x = splitString(object.id, ":")
SELECT STRING_SPLIT("object.id", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [":", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- trim
-- | fetch security.events | fields x = trim(event.id)
SELECT TRIM("event.id") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- replaceString
-- | fetch security.events | fields x = replaceString(event.provider, "Amazon ", "")
SELECT REPLACE("event.provider", $1, $2) AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["Amazon ", "", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- indexOf
-- | fetch security.events | fields x = indexOf(event.provider, "Guard")
SELECT TRY_CAST(STRPOS("event.provider", $1) - 1 AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["Guard", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- in
-- | fetch security.events | fields x = in(event.provider, {"Amazon GuardDuty", "AWS Security Hub"})
SELECT "event.provider" IN ($1, $2) AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: ["Amazon GuardDuty", "AWS Security Hub", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- round
-- | fetch security.events | fields x = round(dt.security.risk.score / 3, decimals:1)
SELECT FLOOR(("dt.security.risk.score" / NULLIF(CAST($1 AS BIGINT), 0)) * CAST($2 AS DOUBLE) + 0.5) / CAST($2 AS DOUBLE) AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: [3, 10.0, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- abs
-- | fetch security.events | fields x = abs(-finding.count)
SELECT TRY(ABS(-"finding.count")) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- floor
-- | fetch security.events | fields x = floor(dt.security.risk.score)
SELECT FLOOR("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- ceil
-- | fetch security.events | fields x = ceil(dt.security.risk.score)
SELECT CEIL("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toLong
-- | fetch security.events | fields x = toLong(dt.security.risk.score)
SELECT TRY_CAST(TRUNC("dt.security.risk.score") AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toDouble
-- | fetch security.events | fields x = toDouble(finding.count)
SELECT TRY_CAST("finding.count" AS DOUBLE) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toString
-- | fetch security.events | fields x = toString(timestamp)
SELECT STRFTIME("timestamp", '%Y-%m-%dT%H:%M:%S.%f000Z') AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toBoolean
-- | fetch security.events | fields x = toBoolean("TRUE")
SELECT LOWER($1) = 'true' AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["TRUE", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toTimestamp
-- | fetch security.events | fields x = toTimestamp("2026-01-01T00:00:00Z")
SELECT CAST($1 AS TIMESTAMP) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["2026-01-01 00:00:00", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- now
-- | fetch security.events | fields x = now() - timestamp
SELECT TRY(EPOCH_NS(CAST($1 AS TIMESTAMP)) - EPOCH_NS("timestamp")) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($1 AS TIMESTAMP) LIMIT $3;
-- params: ["2026-01-01 12:00:00", "2025-12-31 12:00:00", 1001]

-- bin
-- | fetch security.events | fields x = bin(timestamp, 1h)
SELECT MAKE_TIMESTAMP(EPOCH_US("timestamp") - EPOCH_US("timestamp") % NULLIF(CAST($1 AS BIGINT) // 1000, 0)) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: [3600000000000, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- formatTimestamp
-- | fetch security.events | fields x = formatTimestamp(timestamp, format:"yyyy-MM-dd HH:mm")
SELECT STRFTIME("timestamp", $1) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["%Y-%m-%d %H:%M", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- getHour
-- | fetch security.events | fields x = getHour(timestamp)
SELECT CAST(HOUR("timestamp") AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- getDayOfWeek
-- | fetch security.events | fields x = getDayOfWeek(timestamp)
SELECT CAST(ISODOW("timestamp") AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- duration
-- | fetch security.events | fields x = duration(90, unit:"s")
SELECT TRY(CAST($1 AS BIGINT) * CAST($2 AS BIGINT)) AS "x" FROM events WHERE "timestamp" >= CAST($3 AS TIMESTAMP) AND "timestamp" < CAST($4 AS TIMESTAMP) LIMIT $5;
-- params: [90, 1000000000, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- array
-- | fetch security.events | fields x = array("a", event.id)
SELECT [$1, "event.id"] AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["a", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- record
-- | fetch security.events | fields x = record(event.id, score = dt.security.risk.score)[score]
SELECT STRUCT_EXTRACT({'event.id': "event.id", 'score': "dt.security.risk.score"}, 'score') AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arraySize
-- | fetch security.events | fields x = arraySize(actor.ips)
SELECT CAST(LEN("actor.ips") AS BIGINT) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayConcat
-- | fetch security.events | fields x = arrayConcat(actor.ips, array("x"))
SELECT LIST_CONCAT("actor.ips", [$1]) AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["x", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayDistinct
-- | fetch security.events | fields x = arrayDistinct(actor.ips)
SELECT LIST_FILTER("actor.ips", LAMBDA __e, __i : NOT __e IS NULL AND LIST_POSITION("actor.ips", __e) = __i) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayRemoveNulls
-- | fetch security.events | fields x = arrayRemoveNulls(array(aws.account.id, event.id))
SELECT LIST_FILTER(["aws.account.id", "event.id"], LAMBDA __e : NOT __e IS NULL) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayFirst
-- | fetch security.events | fields x = arrayFirst(actor.ips)
SELECT LIST_EXTRACT("actor.ips", 1) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayLast
-- | fetch security.events | fields x = arrayLast(actor.ips)
SELECT LIST_EXTRACT("actor.ips", -1) AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toArray
-- | fetch security.events | fields x = toArray(event.id)
SELECT CASE WHEN "event.id" IS NULL THEN NULL ELSE ["event.id"] END AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- iAny
-- | fetch security.events | fields x = iAny(actor.ips[] == "10.0.0.3")
SELECT LEN(LIST_FILTER(RANGE(1, LEN("actor.ips") + 1), LAMBDA __i2 : LIST_EXTRACT("actor.ips", __i2) = $1)) > 0 AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["10.0.0.3", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- iAll
-- | fetch security.events | fields x = iAll(startsWith(actor.ips[], "10."))
SELECT LEN(LIST_FILTER(RANGE(1, LEN("actor.ips") + 1), LAMBDA __i2 : NOT COALESCE(STARTS_WITH(LIST_EXTRACT("actor.ips", __i2), $1), FALSE))) = 0 AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["10.", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- ip
-- | fetch security.events | fields x = ip("10.0.0.1")
SELECT CASE WHEN REGEXP_FULL_MATCH($1, '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])') OR CONTAINS($1, ':') THEN $1 ELSE NULL END AS "x" FROM events WHERE "timestamp" >= CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($3 AS TIMESTAMP) LIMIT $4;
-- params: ["10.0.0.1", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toIp
-- | fetch security.events | fields x = toIp(arrayFirst(actor.ips))
SELECT CASE WHEN REGEXP_FULL_MATCH(LIST_EXTRACT("actor.ips", 1), '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])') OR CONTAINS(LIST_EXTRACT("actor.ips", 1), ':') THEN LIST_EXTRACT("actor.ips", 1) ELSE NULL END AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- ipIn
-- | fetch security.events | fields x = ipIn(actor.ips, "10.0.0.0/8", "192.168.0.0/16")
SELECT LEN(LIST_FILTER("actor.ips", LAMBDA __e : CASE WHEN REGEXP_FULL_MATCH(__e, '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])') THEN (LIST_REDUCE(LIST_TRANSFORM(STRING_SPLIT(__e, '.'), LAMBDA __o : TRY_CAST(__o AS BIGINT)), LAMBDA __a, __b : __a * 256 + __b) BETWEEN CAST($1 AS BIGINT) AND CAST($2 AS BIGINT) OR LIST_REDUCE(LIST_TRANSFORM(STRING_SPLIT(__e, '.'), LAMBDA __o : TRY_CAST(__o AS BIGINT)), LAMBDA __a, __b : __a * 256 + __b) BETWEEN CAST($3 AS BIGINT) AND CAST($4 AS BIGINT)) ELSE FALSE END)) > 0 AS "x" FROM events WHERE "timestamp" >= CAST($5 AS TIMESTAMP) AND "timestamp" < CAST($6 AS TIMESTAMP) LIMIT $7;
-- params: [167772160, 184549375, 3232235520, 3232301055, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isIpv4
-- | fetch security.events | fields x = isIpv4(arrayFirst(actor.ips))
SELECT REGEXP_FULL_MATCH(LIST_EXTRACT("actor.ips", 1), '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])') AS "x" FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP) LIMIT $3;
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]
