"""One DQL example per command and per function: the golden files pin their SQL, the store runs them."""

from __future__ import annotations

F = "fetch security.events"

COMMAND_CASES: dict[str, str] = {
    "fetch": 'fetch security.events, from:-7d, to:-1h, bucket:{"default_*", "custom"}, scanLimitGBytes:-1',
    "filter": F
    + ' | filter event.provider == "Amazon GuardDuty" and not (finding.count > 2) | fields event.id',
    "filterOut": F + " | filterOut finding.count == 1 | fields event.id",
    "search": 'fetch dt.system.buckets | search "CUSTOM"',
    "fields": F + " | fields event.id, score = dt.security.risk.score * 2",
    "fieldsKeep": F + ' | fieldsKeep "event.*", timestamp',
    "fieldsAdd": F + " | fieldsAdd double = finding.count * 2 | fields event.id, double",
    "fieldsRemove": F + ' | fields event.id, event.type, object.id | fieldsRemove "object.*", event.type',
    "fieldsRename": F + " | fields event.id | fieldsRename id = event.id",
    "fieldsFlatten": F
    + ' | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, depth:2 | fields event.id, raw.severity',
    "summarize": F
    + ' | summarize count(), high = countIf(dt.security.risk.level == "HIGH"), by:{event.provider}',
    "sort": F + " | fields event.id, dt.security.risk.score | sort dt.security.risk.score desc, event.id",
    "limit": F + " | fields event.id | limit 5",
    "dedup": F + " | fields object.id, timestamp | dedup {object.id}, sort:{timestamp desc}",
    "makeTimeseries": F + " | makeTimeseries count(default:0), by:{event.provider}, interval:1h",
    "expand": F + " | fields event.id, actor.ips | expand ip = actor.ips",
    "parse": F + ' | parse dt.raw_data, "JSON:raw" | fields event.id, severity = raw[severity]',
    "append": F + " | fields event.id | limit 1 | append [fetch dt.system.buckets | fields name]",
    "lookup": F
    + " | fields event.id, object.id | lookup [fetch security.events | fields object.id, vulnerability.id],"
    " sourceField:object.id, lookupField:object.id",
    "join": F
    + " | fields event.id, object.id | join [fetch security.events | summarize n = count(), by:{object.id}],"
    " on:{left[object.id] == right[object.id]}, kind:leftOuter",
}


def _fields(expr: str) -> str:
    return f"{F} | fields x = {expr}"


def _summarize(expr: str) -> str:
    return f"{F} | summarize x = {expr}"


FUNCTION_CASES: dict[str, str] = {
    # aggregates
    "count": _summarize("count()"),
    "countIf": _summarize('countIf(event.type == "DETECTION_FINDING")'),
    "countDistinct": _summarize("countDistinct(object.id)"),
    "countDistinctExact": _summarize("countDistinctExact(object.id)"),
    "sum": _summarize("sum(finding.count)"),
    "avg": _summarize("avg(dt.security.risk.score)"),
    "min": _summarize("min(timestamp)"),
    "max": _summarize("max(dt.security.risk.score)"),
    "takeFirst": F + " | sort timestamp | summarize x = takeFirst(event.id)",
    "takeLast": F + " | sort timestamp | summarize x = takeLast(event.id)",
    "takeMin": _summarize("takeMin(event.id)"),
    "takeMax": _summarize("takeMax(event.id)"),
    "takeAny": _summarize("takeAny(event.provider)"),
    "collectDistinct": _summarize("collectDistinct(event.provider, maxLength:5)"),
    "collectArray": _summarize("collectArray(event.id)"),
    "median": _summarize("median(dt.security.risk.score)"),
    "percentile": _summarize("percentile(dt.security.risk.score, 90)"),
    # conditionals and nulls
    "if": _fields('if(finding.count > 1, "many", else:"few")'),
    "coalesce": _fields('coalesce(aws.account.id, "none")'),
    "isNull": _fields("isNull(finding.count)"),
    "isNotNull": _fields("isNotNull(finding.count)"),
    "exists": _fields("exists(service.count)"),
    "isTrueOrNull": _fields("isTrueOrNull(finding.count > 1)"),
    "isFalseOrNull": _fields("isFalseOrNull(finding.count > 1)"),
    # strings
    "contains": _fields('contains(finding.title, "probe", caseSensitive:false)'),
    "startsWith": _fields('startsWith(event.id, "e0")'),
    "endsWith": _fields('endsWith(event.id, "9")'),
    "matchesPhrase": _fields('matchesPhrase(finding.title, "port probe")'),
    "matchesValue": _fields('matchesValue(event.provider, "amazon*")'),
    "lower": _fields("lower(event.provider)"),
    "upper": _fields("upper(event.provider)"),
    "concat": _fields('concat(event.id, "/", finding.count)'),
    "substring": _fields("substring(event.provider, from:0, to:6)"),
    "stringLength": _fields("stringLength(event.id)"),
    "splitString": _fields('splitString(object.id, ":")'),
    "trim": _fields("trim(event.id)"),
    "replaceString": _fields('replaceString(event.provider, "Amazon ", "")'),
    "indexOf": _fields('indexOf(event.provider, "Guard")'),
    "in": _fields('in(event.provider, {"Amazon GuardDuty", "AWS Security Hub"})'),
    # numbers and time
    "round": _fields("round(dt.security.risk.score / 3, decimals:1)"),
    "abs": _fields("abs(-finding.count)"),
    "floor": _fields("floor(dt.security.risk.score)"),
    "ceil": _fields("ceil(dt.security.risk.score)"),
    "toLong": _fields("toLong(dt.security.risk.score)"),
    "toDouble": _fields("toDouble(finding.count)"),
    "toString": _fields("toString(timestamp)"),
    "toBoolean": _fields('toBoolean("TRUE")'),
    "toTimestamp": _fields('toTimestamp("2026-01-01T00:00:00Z")'),
    "now": _fields("now() - timestamp"),
    "bin": _fields("bin(timestamp, 1h)"),
    "formatTimestamp": _fields('formatTimestamp(timestamp, format:"yyyy-MM-dd HH:mm")'),
    "getHour": _fields("getHour(timestamp)"),
    "getDayOfWeek": _fields("getDayOfWeek(timestamp)"),
    "duration": _fields('duration(90, unit:"s")'),
    # arrays and records
    "array": _fields('array("a", event.id)'),
    "record": _fields("record(event.id, score = dt.security.risk.score)[score]"),
    "arraySize": _fields("arraySize(actor.ips)"),
    "arrayConcat": _fields('arrayConcat(actor.ips, array("x"))'),
    "arrayDistinct": _fields("arrayDistinct(actor.ips)"),
    "arrayRemoveNulls": _fields("arrayRemoveNulls(array(aws.account.id, event.id))"),
    "arrayFirst": _fields("arrayFirst(actor.ips)"),
    "arrayLast": _fields("arrayLast(actor.ips)"),
    "toArray": _fields("toArray(event.id)"),
    "iAny": _fields('iAny(actor.ips[] == "10.0.0.3")'),
    "iAll": _fields('iAll(startsWith(actor.ips[], "10."))'),
    # network
    "ip": _fields('ip("10.0.0.1")'),
    "toIp": _fields("toIp(arrayFirst(actor.ips))"),
    "ipIn": _fields('ipIn(actor.ips, "10.0.0.0/8", "192.168.0.0/16")'),
    "isIpv4": _fields("isIpv4(arrayFirst(actor.ips))"),
}

# Operators and syntax forms, pinned the same way.
SYNTAX_CASES: dict[str, str] = {
    "search-operator": F + ' | filter finding.title ~ "PROBE" | fields event.id',
    "align": _fields("timestamp @ 1d"),
    "integer-division": _fields("finding.count / 2"),
    "in-subquery": F
    + ' | filter object.id in [fetch security.events | filter dt.security.risk.level == "CRITICAL"'
    " | fields object.id] | fields event.id",
    "extra-field": F + " | filter service.count > 10 | fields event.id, service.action",
    "record-access": F + " | fields x = record(a = record(b = event.id))[a][b], y = actor.ips[0]",
    "timestamp-shift": F + " | fields x = timestamp - 1h, y = now() - 90s",
    "iterate": F + " | fields x = actor.ips[]",
    "backtick": F + " | summarize `Open findings` = count()",
    "xor": _fields("finding.count > 1 xor finding.count < 3"),
    "comments": F + " // the source\n| /* keep */ fields event.id",
    # issue 10, class 1: dynamic types and arrays compared with values
    "array-equals-value": F + ' | filter actor.ips == "10.0.0.3" | fields event.id',
    "array-not-equal": F + ' | filter actor.ips != "10.0.0.3" | fields event.id',
    "array-in-list": F + ' | filter in(actor.ips, {"10.0.0.3", "10.0.0.6"}) | fields event.id',
    "extra-equals-value": F + ' | filter mitre.techniques == "T1046" | fields event.id',
    "extra-aggregate": F
    + " | summarize x = round(takeMax(service.count), decimals:1), y = min(service.count) + 1",
    "extra-array-size": F + " | fields n = arraySize(mitre.techniques)",
    # issue 10, class 2: syntax forms
    "sort-record": F + ' | sort {dt.security.risk.score, direction:"descending"}, event.id | fields event.id',
    "braced-fields-add": F + " | fieldsAdd {a = finding.count * 2, b = lower(event.id)} | fields a, b",
    "brace-array-argument": _fields('arrayConcat({"a", "b"}, actor.ips)'),
    "alias-parameter": F + " | summarize count(), alias:total, by:{event.provider} | sort total desc",
    # issue 10, class 3: fieldsFlatten and the parse pattern language
    "flatten-record": F + " | fieldsAdd r = record(a = event.id, b = record(c = finding.count))"
    ' | fieldsFlatten r, prefix:"x.", depth:2 | fields x.a, x.b.c',
    "flatten-fields": F
    + ' | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, fields:{severity} | fields raw.severity',
    "parse-json-flat": F
    + ' | parse dt.raw_data, "JSON{STRING:id, INT:severity}(flat=true)" | fields id, severity',
    "parse-json-record": F + ' | parse dt.raw_data, "JSON{STRING:id, JSON:resource}:r" | fields r',
    "parse-json-array": F + ' | parse toString(actor.ips), "JSON_ARRAY{STRING}(typed=true):ips" | fields ips',
    "parse-sequence": F + " | parse finding.title, \"LD 'Finding ' INT:n SPACE LD:rest\" | fields n, rest",
    "parse-timestamp": F
    + ' | parse "2026-01-01 10:00:00 x", "TIMESTAMP(\'yyyy-MM-dd HH:mm:ss\'):t SPACE LD:m"'
    " | fields t, m",
    # issue 12: the legacy events view, and an interval past the bin limit
    "events-view": 'fetch events, bucket:{"default_security_custom_events"}'
    ' | filter dt.system.bucket == "default_security_custom_events" | fields event.id, dt.system.bucket',
    "timeseries-interval-widened": F + ", from:-3650d | makeTimeseries count(default:0), interval:1h",
    "dynamic-sort": F + " | sort service.count desc | fields event.id",
    "matches-any-pattern": F + ' | filter matchesValue(event.id, {"e0*", "e1*"}) | fields event.id',
    # an untyped null where a timestamp goes (DuckDB could not choose an overload of isodow)
    "time-part-of-null": _fields("getDayOfWeek(null)"),
}
