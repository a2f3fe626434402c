-- count
-- | fetch security.events | summarize x = count()
SELECT COUNT(*) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- countIf
-- | fetch security.events | summarize x = countIf(event.type == "DETECTION_FINDING")
SELECT COUNT(*) FILTER(WHERE "event.type" = {p1: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["DETECTION_FINDING", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- countDistinct
-- | fetch security.events | summarize x = countDistinct(object.id)
SELECT COUNT(DISTINCT "object.id") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- countDistinctExact
-- | fetch security.events | summarize x = countDistinctExact(object.id)
SELECT COUNT(DISTINCT "object.id") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- sum
-- | fetch security.events | summarize x = sum(finding.count)
SELECT accurateCastOrNull(SUM(CAST("finding.count" AS Nullable(Int64))), 'Nullable(Int64)') AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- avg
-- | fetch security.events | summarize x = avg(dt.security.risk.score)
SELECT AVG("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- min
-- | fetch security.events | summarize x = min(timestamp)
SELECT MIN("timestamp") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- max
-- | fetch security.events | summarize x = max(dt.security.risk.score)
SELECT MAX("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeFirst
-- | fetch security.events | sort timestamp | summarize x = takeFirst(event.id)
SELECT argMin("event.id", "timestamp") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeLast
-- | fetch security.events | sort timestamp | summarize x = takeLast(event.id)
SELECT argMax("event.id", "timestamp") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeMin
-- | fetch security.events | summarize x = takeMin(event.id)
SELECT MIN("event.id") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeMax
-- | fetch security.events | summarize x = takeMax(event.id)
SELECT MAX("event.id") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- takeAny
-- | fetch security.events | summarize x = takeAny(event.provider)
SELECT any("event.provider") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- collectDistinct
-- | fetch security.events | summarize x = collectDistinct(event.provider, maxLength:5)
SELECT arraySlice(ARRAY_AGG(DISTINCT "event.provider") FILTER(WHERE NOT ("event.provider" IS NULL)), 1, (CAST({p1: Int64} AS Nullable(Int64)) - 1 + 1)) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [5, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- collectArray
-- | fetch security.events | summarize x = collectArray(event.id)
SELECT arrayMap(__t -> tupleElement(__t, 1), arrayReverseSort(__t -> (tupleElement(__t, 2), tupleElement(__t, 3)), groupArrayIf(("event.id", "timestamp", "event.id"), NOT ("event.id" IS NULL)))) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- median
-- | fetch security.events | summarize x = median(dt.security.risk.score)
SELECT median("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- percentile
-- | fetch security.events | summarize x = percentile(dt.security.risk.score, 90)
SELECT quantile(CAST({p1: Float64} AS Nullable(Float64)))("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [0.9, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- if
-- | fetch security.events | fields x = if(finding.count > 1, "many", else:"few")
SELECT CASE WHEN "finding.count" > CAST({p1: Int64} AS Nullable(Int64)) THEN {p2: String} ELSE {p3: String} END AS "x" FROM events WHERE "timestamp" >= CAST({p4: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p5: DateTime64(6)} AS DateTime64(6)) LIMIT {p6: Int64};
-- params: [1, "many", "few", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- coalesce
-- | fetch security.events | fields x = coalesce(aws.account.id, "none")
SELECT COALESCE("aws.account.id", {p1: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["none", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isNull
-- | fetch security.events | fields x = isNull(finding.count)
SELECT "finding.count" IS NULL AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isNotNull
-- | fetch security.events | fields x = isNotNull(finding.count)
SELECT NOT ("finding.count" IS NULL) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- exists
-- | fetch security.events | fields x = exists(service.count)
SELECT NOT ((multiIf(mapContains("extra_string", JSONExtractString(substring({p1: String}, 3))), replaceAll(toJSONString(arrayElement("extra_string", JSONExtractString(substring({p1: String}, 3)))), '\\/', '/'), mapContains("extra_long", JSONExtractString(substring({p1: String}, 3))), toString(arrayElement("extra_long", JSONExtractString(substring({p1: String}, 3)))), mapContains("extra_double", JSONExtractString(substring({p1: String}, 3))), toString(arrayElement("extra_double", JSONExtractString(substring({p1: String}, 3)))), mapContains("extra_bool", JSONExtractString(substring({p1: String}, 3))), if(arrayElement("extra_bool", JSONExtractString(substring({p1: String}, 3))), 'true', 'false'), nullIf(JSONExtractRaw("extra", JSONExtractString(substring({p1: String}, 3))), ''))) IS NULL) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["$.\"service.count\"", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isTrueOrNull
-- | fetch security.events | fields x = isTrueOrNull(finding.count > 1)
SELECT COALESCE("finding.count" > CAST({p1: Int64} AS Nullable(Int64)), TRUE) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isFalseOrNull
-- | fetch security.events | fields x = isFalseOrNull(finding.count > 1)
SELECT NOT COALESCE("finding.count" > CAST({p1: Int64} AS Nullable(Int64)), FALSE) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [1, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- contains
-- | fetch security.events | fields x = contains(finding.title, "probe", caseSensitive:false)
SELECT positionUTF8(LOWER("finding.title"), LOWER({p1: String})) > 0 AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["probe", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- startsWith
-- | fetch security.events | fields x = startsWith(event.id, "e0")
SELECT startsWith("event.id", {p1: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["e0", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- endsWith
-- | fetch security.events | fields x = endsWith(event.id, "9")
SELECT endsWith("event.id", {p1: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["9", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- matchesPhrase
-- | fetch security.events | fields x = matchesPhrase(finding.title, "port probe")
SELECT match("finding.title", {p1: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["(?is)(?:^|[^\\pL\\pN_])port probe(?:$|[^\\pL\\pN_])", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- matchesValue
-- | fetch security.events | fields x = matchesValue(event.provider, "amazon*")
SELECT match("event.provider", {p1: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["(?is)^amazon.*$", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- lower
-- | fetch security.events | fields x = lower(event.provider)
SELECT LOWER("event.provider") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- upper
-- | fetch security.events | fields x = upper(event.provider)
SELECT UPPER("event.provider") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- concat
-- | fetch security.events | fields x = concat(event.id, "/", finding.count)
SELECT concat(ifNull("event.id", ''), ifNull({p1: String}, ''), ifNull(accurateCastOrNull("finding.count", 'Nullable(String)'), '')) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["/", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- substring
-- | fetch security.events | fields x = substring(event.provider, from:0, to:6)
SELECT substringUTF8("event.provider", CAST({p1: Int64} AS Nullable(Int64)) + 1, CAST({p2: Int64} AS Nullable(Int64)) - CAST({p1: Int64} AS Nullable(Int64))) AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: [0, 6, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- stringLength
-- | fetch security.events | fields x = stringLength(event.id)
SELECT CAST(lengthUTF8("event.id") AS Nullable(Int64)) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- splitString
-- | fetch security.events | fields x = splitString(object.id, ":")
SELECT splitByString({p1: String}, "object.id") AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [":", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- trim
-- | fetch security.events | fields x = trim(event.id)
SELECT trim("event.id") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- replaceString
-- | fetch security.events | fields x = replaceString(event.provider, "Amazon ", "")
SELECT replaceAll("event.provider", {p1: String}, {p2: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: ["Amazon ", "", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- indexOf
-- | fetch security.events | fields x = indexOf(event.provider, "Guard")
SELECT accurateCastOrNull(positionUTF8("event.provider", {p1: String}) - 1, 'Nullable(Int64)') AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["Guard", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- in
-- | fetch security.events | fields x = in(event.provider, {"Amazon GuardDuty", "AWS Security Hub"})
SELECT "event.provider" IN ({p1: String}, {p2: String}) AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: ["Amazon GuardDuty", "AWS Security Hub", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- round
-- | fetch security.events | fields x = round(dt.security.risk.score / 3, decimals:1)
SELECT FLOOR(("dt.security.risk.score" / nullIf(CAST({p1: Int64} AS Nullable(Int64)), 0)) * CAST({p2: Float64} AS Nullable(Float64)) + 0.5) / CAST({p2: Float64} AS Nullable(Float64)) AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: [3, 10.0, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- abs
-- | fetch security.events | fields x = abs(-finding.count)
SELECT ABS(-"finding.count") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- floor
-- | fetch security.events | fields x = floor(dt.security.risk.score)
SELECT FLOOR("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- ceil
-- | fetch security.events | fields x = ceil(dt.security.risk.score)
SELECT CEIL("dt.security.risk.score") AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toLong
-- | fetch security.events | fields x = toLong(dt.security.risk.score)
SELECT accurateCastOrNull(trunc("dt.security.risk.score"), 'Nullable(Int64)') AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toDouble
-- | fetch security.events | fields x = toDouble(finding.count)
SELECT accurateCastOrNull("finding.count", 'Nullable(Float64)') AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toString
-- | fetch security.events | fields x = toString(timestamp)
SELECT formatDateTime("timestamp", replaceAll('%Y-%m-%dT%H:%M:%S.%f000Z', '%M', '%i')) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toBoolean
-- | fetch security.events | fields x = toBoolean("TRUE")
SELECT LOWER({p1: String}) = 'true' AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["TRUE", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toTimestamp
-- | fetch security.events | fields x = toTimestamp("2026-01-01T00:00:00Z")
SELECT CAST({p1: DateTime64(6)} AS DateTime64(6)) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["2026-01-01 00:00:00", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- now
-- | fetch security.events | fields x = now() - timestamp
SELECT toUnixTimestamp64Nano(CAST({p1: DateTime64(6)} AS DateTime64(6))) - toUnixTimestamp64Nano("timestamp") AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p1: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2026-01-01 12:00:00", "2025-12-31 12:00:00", 1001]

-- bin
-- | fetch security.events | fields x = bin(timestamp, 1h)
SELECT fromUnixTimestamp64Micro(toUnixTimestamp64Micro("timestamp") - toUnixTimestamp64Micro("timestamp") % nullIf(CAST(CAST({p1: Int64} AS Nullable(Int64)) / 1000 AS Nullable(Int64)), 0)) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: [3600000000000, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- formatTimestamp
-- | fetch security.events | fields x = formatTimestamp(timestamp, format:"yyyy-MM-dd HH:mm")
SELECT formatDateTime("timestamp", replaceAll({p1: String}, '%M', '%i')) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["%Y-%m-%d %H:%M", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- getHour
-- | fetch security.events | fields x = getHour(timestamp)
SELECT CAST(hour("timestamp") AS Nullable(Int64)) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- getDayOfWeek
-- | fetch security.events | fields x = getDayOfWeek(timestamp)
SELECT CAST(toDayOfWeek("timestamp") AS Nullable(Int64)) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- duration
-- | fetch security.events | fields x = duration(90, unit:"s")
SELECT CAST({p1: Int64} AS Nullable(Int64)) * CAST({p2: Int64} AS Nullable(Int64)) AS "x" FROM events WHERE "timestamp" >= CAST({p3: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p4: DateTime64(6)} AS DateTime64(6)) LIMIT {p5: Int64};
-- params: [90, 1000000000, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- array
-- | fetch security.events | fields x = array("a", event.id)
SELECT [{p1: String}, "event.id"] AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["a", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- record
-- | fetch security.events | fields x = record(event.id, score = dt.security.risk.score)[score]
SELECT tupleElement(CAST(tuple("event.id", "dt.security.risk.score"), concat('Tuple(', '`event.id` ', toTypeName("event.id"), ', `score` ', toTypeName("dt.security.risk.score"), ')')), 'score') AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arraySize
-- | fetch security.events | fields x = arraySize(actor.ips)
SELECT if(has("absent_arrays", 'actor.ips'), NULL, CAST(length("actor.ips") AS Nullable(Int64))) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayConcat
-- | fetch security.events | fields x = arrayConcat(actor.ips, array("x"))
SELECT arrayConcat("actor.ips", [{p1: String}]) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["x", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayDistinct
-- | fetch security.events | fields x = arrayDistinct(actor.ips)
SELECT arrayFilter((__e, __i) -> NOT (__e IS NULL) AND indexOf("actor.ips", __e) = __i, "actor.ips", arrayEnumerate("actor.ips")) AS "x", toNullable(has("absent_arrays", 'actor.ips')) AS "__null__.x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayRemoveNulls
-- | fetch security.events | fields x = arrayRemoveNulls(array(aws.account.id, event.id))
SELECT arrayFilter(__e -> NOT (__e IS NULL), ["aws.account.id", "event.id"]) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayFirst
-- | fetch security.events | fields x = arrayFirst(actor.ips)
SELECT if(has("absent_arrays", 'actor.ips'), NULL, arrayElementOrNull("actor.ips", 1)) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- arrayLast
-- | fetch security.events | fields x = arrayLast(actor.ips)
SELECT if(has("absent_arrays", 'actor.ips'), NULL, arrayElementOrNull("actor.ips", -1)) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toArray
-- | fetch security.events | fields x = toArray(event.id)
SELECT CASE WHEN "event.id" IS NULL THEN NULL ELSE ["event.id"] END AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- iAny
-- | fetch security.events | fields x = iAny(actor.ips[] == "10.0.0.3")
SELECT if(has("absent_arrays", 'actor.ips'), NULL, length(arrayFilter(__i2 -> arrayElementOrNull("actor.ips", __i2) = {p1: String}, range(1, length("actor.ips") + 1))) > 0) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["10.0.0.3", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- iAll
-- | fetch security.events | fields x = iAll(startsWith(actor.ips[], "10."))
SELECT if(has("absent_arrays", 'actor.ips'), NULL, length(arrayFilter(__i2 -> NOT COALESCE(startsWith(arrayElementOrNull("actor.ips", __i2), {p1: String}), FALSE), range(1, length("actor.ips") + 1))) = 0) AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["10.", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- ip
-- | fetch security.events | fields x = ip("10.0.0.1")
SELECT CASE WHEN match({p1: String}, concat('^(?:', '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])', ')$')) OR positionUTF8({p1: String}, ':') > 0 THEN {p1: String} ELSE NULL END AS "x" FROM events WHERE "timestamp" >= CAST({p2: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p3: DateTime64(6)} AS DateTime64(6)) LIMIT {p4: Int64};
-- params: ["10.0.0.1", "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- toIp
-- | fetch security.events | fields x = toIp(arrayFirst(actor.ips))
SELECT CASE WHEN if(has("absent_arrays", 'actor.ips'), NULL, match(arrayElementOrNull("actor.ips", 1), concat('^(?:', '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])', ')$'))) OR if(has("absent_arrays", 'actor.ips'), NULL, positionUTF8(arrayElementOrNull("actor.ips", 1), ':') > 0) THEN if(has("absent_arrays", 'actor.ips'), NULL, arrayElementOrNull("actor.ips", 1)) ELSE NULL END AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- ipIn
-- | fetch security.events | fields x = ipIn(actor.ips, "10.0.0.0/8", "192.168.0.0/16")
SELECT if(has("absent_arrays", 'actor.ips'), NULL, length(arrayFilter(__e -> CASE WHEN match(__e, concat('^(?:', '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])', ')$')) THEN (arrayFold((__a, __b) -> __a * 256 + __b, arraySlice(arrayMap(__o -> accurateCastOrNull(__o, 'Nullable(Int64)'), splitByString('.', __e)), 2), arrayElement(arrayMap(__o -> accurateCastOrNull(__o, 'Nullable(Int64)'), splitByString('.', __e)), 1)) BETWEEN CAST({p1: Int64} AS Nullable(Int64)) AND CAST({p2: Int64} AS Nullable(Int64)) OR arrayFold((__a, __b) -> __a * 256 + __b, arraySlice(arrayMap(__o -> accurateCastOrNull(__o, 'Nullable(Int64)'), splitByString('.', __e)), 2), arrayElement(arrayMap(__o -> accurateCastOrNull(__o, 'Nullable(Int64)'), splitByString('.', __e)), 1)) BETWEEN CAST({p3: Int64} AS Nullable(Int64)) AND CAST({p4: Int64} AS Nullable(Int64))) ELSE FALSE END, "actor.ips")) > 0) AS "x" FROM events WHERE "timestamp" >= CAST({p5: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p6: DateTime64(6)} AS DateTime64(6)) LIMIT {p7: Int64};
-- params: [167772160, 184549375, 3232235520, 3232301055, "2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]

-- isIpv4
-- | fetch security.events | fields x = isIpv4(arrayFirst(actor.ips))
SELECT if(has("absent_arrays", 'actor.ips'), NULL, match(arrayElementOrNull("actor.ips", 1), concat('^(?:', '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])', ')$'))) AS "x" FROM events WHERE "timestamp" >= CAST({p1: DateTime64(6)} AS DateTime64(6)) AND "timestamp" < CAST({p2: DateTime64(6)} AS DateTime64(6)) LIMIT {p3: Int64};
-- params: ["2025-12-31 12:00:00", "2026-01-01 12:00:00", 1001]
