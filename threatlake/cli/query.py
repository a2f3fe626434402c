"""``threatlake query [--data-dir DIR] [--from T] [--to T] [--format table|json|csv|ndjson] 'DQL'``.

Compiles the DQL for the store's dialect, runs it and prints the records. ``--from``/``--to`` set the default
timeframe of a query that names none (an ISO 8601 time, or a relative one such as ``-7d``, ``-2h``, ``now``);
without them a query covers the last 2 hours. ``json`` prints the API's ``result`` object (records, types,
metadata); ``ndjson`` one record per line; ``csv`` and ``table`` one row per record with a header. Values are
formatted as the API formats them (longs and timestamps as strings). Exit 0, or 2 on a bad query or option.
The query runs through ``threatlake.service.query``, as the API's does. While ``threatlake serve`` holds
the store, the query runs on that service (``cli/remote.py``).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from threatlake.cli.remote import ServiceClient, store_or_service
from threatlake.config import Config, load_config
from threatlake.errors import ConfigError, QueryError
from threatlake.model import parse_timestamp
from threatlake.service.query import QueryRequest, run_query
from threatlake.service.resources import open_configured_store

__all__ = ["FORMATS", "HELP", "configure", "parse_time", "run"]

QUERY_SCOPE = "storage:security.events:read"
_POLL = "/platform/storage/query/v1/query:poll?request-timeout-milliseconds=60000&request-token="

HELP = "run a DQL query against the store and print the result"

_RELATIVE = re.compile(r"(?:now\(?\)?)?\s*-\s*(\d+)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": "milliseconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CELL_WIDTH = 60


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", metavar="DQL", help="the query, e.g. 'fetch security.events | limit 10'")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    parser.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    parser.add_argument("--from", dest="start", metavar="T", help="default timeframe start (ISO 8601 or -7d)")
    parser.add_argument("--to", dest="end", metavar="T", help="default timeframe end (ISO 8601 or -1h; now)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table", help="output format")


def parse_time(text: str, now: datetime) -> datetime:
    """An absolute ISO 8601 time (naive means UTC), ``now``, or ``-<n><unit>`` before ``now``."""
    stripped = text.strip()
    if stripped in ("now", "now()"):
        return now
    relative = _RELATIVE.fullmatch(stripped)
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    parsed = parse_timestamp(stripped)
    if parsed is None:
        raise ConfigError(f"not a time: {text!r} (use ISO 8601, 'now' or a relative time such as -7d)")
    return parsed


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, state=args.state)
    now = datetime.now(UTC)
    start = parse_time(args.start, now) if args.start else None
    end = parse_time(args.end, now) if args.end else None
    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    if isinstance(store, str):
        timeframe = (start, end)
        result = _through_service(config, store, args.query, timeframe, config.max_result_records)
        return _show(result, args.format)
    try:
        ask = QueryRequest(args.query, now, start, end, config.max_result_records)
        result = run_query(store, ask, timeout=config.query_timeout_seconds)
    finally:
        store.close()
    return _show(result, args.format)


def _show(result: dict[str, Any], output: str) -> int:
    FORMATS[output](result)
    for notification in result.get("metadata", {}).get("grail", {}).get("notifications", []):
        print(f"threatlake query: {notification.get('message', notification)}", file=sys.stderr)
    return 0


def _through_service(
    config: Config, url: str, text: str, timeframe: tuple[datetime | None, datetime | None], records: int
) -> dict[str, Any]:
    """Run the query on the service that holds the store (query:execute, then poll until it is done)."""
    body: dict[str, Any] = {"query": text, "maxResultRecords": records, "requestTimeoutMilliseconds": 60_000}
    for key, moment in zip(("defaultTimeframeStart", "defaultTimeframeEnd"), timeframe, strict=True):
        if moment is not None:
            body[key] = moment.isoformat()
    with ServiceClient(config.data_dir, url, QUERY_SCOPE, database=config.state) as client:
        status, answer = client.call("POST", "/platform/storage/query/v1/query:execute", orjson.dumps(body))
        while status < 400 and answer.get("state") == "RUNNING":
            status, answer = client.call("GET", _POLL + urllib.parse.quote(answer["requestToken"]))
    if status >= 400:
        error = answer.get("error", {})
        raise QueryError(str(error.get("message", answer)))  # the message already names line and column
    result: dict[str, Any] = answer["result"]
    return result


def _print_json(result: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


def _print_ndjson(result: dict[str, Any]) -> None:
    out = sys.stdout.buffer
    for record in result["records"]:
        out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


def _header(records: list[dict[str, Any]]) -> list[str]:
    """Every field of any record, in order of first appearance (raw events are sparse)."""
    return list(dict.fromkeys(name for record in records for name in record))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def _print_csv(result: dict[str, Any]) -> None:
    records = result["records"]
    header = _header(records)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(name)) for name in header])


def _print_table(result: dict[str, Any]) -> None:
    records = result["records"]
    header = _header(records)
    if not header:
        print("(no records)")
        return
    rows = [[_short(_cell(record.get(name))) for name in header] for record in records]
    widths = [max([len(name), *(len(row[index]) for row in rows)]) for index, name in enumerate(header)]
    print("  ".join(name.ljust(width) for name, width in zip(header, widths, strict=True)).rstrip())
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"({len(records)} record{'s' if len(records) != 1 else ''})")


def _short(text: str) -> str:
    flat = text.replace("\n", " ")
    return flat if len(flat) <= _CELL_WIDTH else flat[: _CELL_WIDTH - 1] + "…"


FORMATS: dict[str, Callable[[dict[str, Any]], None]] = {
    "table": _print_table,
    "json": _print_json,
    "csv": _print_csv,
    "ndjson": _print_ndjson,
}
