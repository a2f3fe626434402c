"""``latest`` on ClickHouse: a small table of the newest row per finding key, fed by a materialized view.

``latest_rows`` has the columns of ``events`` and a ``version``: a ``ReplacingMergeTree(version)`` keyed by
``LATEST_KEY`` (each part as ``ifNull(part, '')`` and ``isNull(part)``: a missing part is its own value, as
DuckDB's ``IS NOT DISTINCT FROM`` has it). ``latest_feed``, a materialized view on ``events``, copies every
inserted row into it; the background merges keep one row per key, and the ``latest`` view reads it with
``FINAL``, so it is exact whatever the merges have done. ``version`` orders a key's rows as DuckDB's
``latest`` does (``timestamp DESC NULLS LAST, event.id DESC``) in one ``UInt256``: the µs since 1900 plus
one (0: no timestamp) in the top 56 bits, the first 25 bytes of ``event.id`` (big-endian: the byte order of
the strings) below. Two rows of one key tie only with the same µs and the same first 25 bytes of their ids
(the pipeline's ids are 32 hex digits of a hash: never in practice); then the one inserted last wins.

Measured (docs/performance.md): the ``argMax`` state of the whole row in an ``AggregatingMergeTree``, the
other exact form, reads 20-35 s at 1M events where ``FINAL`` on this table reads 0.2 s.

On a cluster ``latest_rows_local`` is a ``ReplicatedReplacingMergeTree`` on every shard, fed by the view on
that shard's ``events_local`` (a finding's rows stay on its events' shard) under a ``Distributed``
``latest_rows``; events without a finding id are sharded by event id, so one key may sit on two shards:
there the view keeps the greatest ``version`` per key after ``FINAL`` (``LIMIT 1 BY``), exact across shards.
Migration 5 replaces migration 2's view (``events FINAL … LIMIT 1 BY``) and backfills the table from the
events already stored (re-run, it inserts rows ``FINAL`` folds away again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from threatlake.store.schema import EVENTS, LATEST, LATEST_KEY

if TYPE_CHECKING:  # schema.py renders migration 5 with this module
    from threatlake.store.clickhouse.schema import Target

__all__ = ["FEED", "ROWS", "LatestShape", "key_tuple", "latest_statements", "newest_statement"]

ROWS = "latest_rows"
FEED = "latest_feed"
_LOCAL = "_local"  # as ``schema.LOCAL``
#: µs from the Unix epoch to 1900-01-01, DateTime64's first day: every stored time counts from there.
_FROM_1900 = 2_208_988_800_000_000
_ID_BYTES = 25


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql("clickhouse")


def key_tuple() -> str:
    """A row's finding key, never null: per part its value (``''`` when missing) and whether it is missing."""
    values = [f"ifNull({_quoted(name)}, '')" for name in LATEST_KEY]
    return ", ".join(values + [f"isNull({_quoted(name)})" for name in LATEST_KEY])


def version() -> str:
    """A row's rank among its key's rows: greater is newer (see the module doc)."""
    stamp = _quoted("timestamp")
    micros = f"toUInt256(ifNull(toUnixTimestamp64Micro({stamp}) + {_FROM_1900 + 1}, 0))"
    prefix = f"rightPad(substring(ifNull({_quoted('event.id')}, ''), 1, {_ID_BYTES}), {_ID_BYTES}, '\\0')"
    return f"bitOr(bitShiftLeft({micros}, {8 * _ID_BYTES}), reinterpretAsUInt256(reverse({prefix})))"


@dataclass(frozen=True, slots=True)
class LatestShape:
    """What ``latest_rows`` holds, rendered by ``schema.py``: the column definitions of ``events`` (no
    indexes), the names a row is stored under (``events``' physical columns), the names ``latest`` shows,
    a row's arrival time and its retention column (the row TTL)."""

    definitions: Sequence[str]
    stored: Sequence[str]
    shown: Sequence[str]
    arrival: str
    retention: str


def _versioned(engine: str) -> str:
    """``ReplacingMergeTree`` (or its replicated form, with its Keeper path) keeping the greatest version."""
    return f"{engine[:-1]}, version)" if engine.endswith(")") else f"{engine}(version)"


def latest_statements(target: Target, shape: LatestShape) -> tuple[str, ...]:
    """Migration 5: drop the old view; the table (on a cluster: each shard's part and the ``Distributed``
    table over them), the feed, the view, the backfill."""
    local = ROWS + _LOCAL if target.cluster else ROWS
    columns = ",\n  ".join([*shape.definitions, "version UInt256"])
    statements = [
        f"DROP VIEW IF EXISTS {target.table(LATEST)}{target.on}",
        f"CREATE TABLE IF NOT EXISTS {target.table(local)}{target.on} (\n  {columns}\n)"
        f" ENGINE = {_versioned(target.engine('ReplacingMergeTree', local, sharded=True))}"
        f"\nORDER BY ({key_tuple()})"
        f"\nTTL toDateTime({shape.arrival}) + toIntervalDay({_quoted(shape.retention)})",
    ]
    events = target.table(EVENTS + _LOCAL if target.cluster else EVENTS)
    shown = ", ".join(_quoted(name) for name in shape.shown)
    read = f"SELECT {shown} FROM {target.table(ROWS)} FINAL"
    if target.cluster:
        shard_key = f"cityHash64(ifNull({_quoted('finding.id')}, ''))"
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {target.table(ROWS)}{target.on} AS {target.table(local)}\n"
            f"ENGINE = Distributed('{target.cluster}', '{target.database}', '{local}', {shard_key})"
        )
        read = (
            f"SELECT {shown} FROM {target.table(ROWS)} FINAL\nORDER BY version DESC LIMIT 1 BY {key_tuple()}"
        )
    copied = f"SELECT {', '.join(_quoted(name) for name in shape.stored)}, {version()} AS version"
    names = ", ".join([*(_quoted(name) for name in shape.stored), "version"])
    statements += [
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {target.table(FEED)}{target.on} TO {target.table(local)} AS"
        f"\n{copied}\nFROM {events}",
        f"CREATE VIEW IF NOT EXISTS {target.table(LATEST)}{target.on} AS\n{read}",
        f"INSERT INTO {target.table(ROWS)} ({names})\n{copied}\nFROM {target.table(EVENTS)} FINAL",
    ]
    return tuple(statements)


def newest_statement() -> str:
    """The greatest ``timestamp`` of every stored event (``latest`` holds each key's newest)."""
    return f"SELECT max({_quoted('timestamp')}) AS newest FROM {ROWS}"
