"""The members of ``extra`` in typed ``Map`` columns, and the keys promoted to columns (ClickHouse).

``extra`` (``Nullable(String)``) stays the exact JSON source of every field outside the catalogue. Beside it
four maps hold its scalar members, each computed by the engine from the same row's ``extra`` on insert
(``MATERIALIZED``: the batch's own JSON, one expression for inserts and for the backfill of rows stored
before, so the two can never disagree):

- ``extra_string`` ``Map(LowCardinality(String), String)``: the JSON strings, decoded;
- ``extra_long`` ``Map(LowCardinality(String), Int64)``: the JSON integers an ``Int64`` holds;
- ``extra_double`` ``Map(LowCardinality(String), Float64)``: the other JSON numbers;
- ``extra_bool`` ``Map(LowCardinality(String), Bool)``: ``true`` and ``false``.

Nulls, arrays, objects and integers beyond ``Int64`` are in no map: a read finds them in ``extra``
(``query/clickhouse_extra.py`` reads the maps first and the JSON otherwise). A map gives back exactly what
the JSON path reads: ClickHouse writes a member's raw JSON with its numbers normalised (``10.0`` as ``10``,
``1e16`` as ``10000000000000000``), and a number goes to the map whose value prints as that text. (Asking
the document which numbers were written as doubles, ``JSONType(extra, key)`` per member, would let
``10.0`` read as DuckDB reads it, but parses the document again for every member: it tripled the fill's
cost, ``bench/extra.py``.)

A *promoted* key (``PROMOTED_EXTRA``: key → column) gets a ``Nullable(String)`` column of its own holding the
member's JSON text, materialized from the maps (the JSON text for a member no map holds), so a query naming
it reads one narrow column and neither the maps nor the document. Promoting a key is a migration of its own
(a new number, the key added to ``PROMOTED_EXTRA``): the ``ADD COLUMN`` and ``MATERIALIZE COLUMN`` below.

``migration(…)`` is ClickHouse migration 6: ``ADD COLUMN IF NOT EXISTS`` on ``events`` (on a cluster
``ON CLUSTER`` on each shard's ``events_local`` and on the ``Distributed`` table, which computes them for
the rows it forwards), then ``MATERIALIZE COLUMN`` for the parts stored before (a background mutation;
until it has run, a read computes the columns from ``extra`` for those parts, with the same values).
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.model.fields import EXTRA_MAPS, PROMOTED_EXTRA
from threatlake.store.migrations import Migration

__all__ = ["MAP_COLUMNS", "PROMOTED_COLUMNS", "VERSION", "migration"]

VERSION = 6
_KEY = "LowCardinality(String)"
#: ``extra``'s top-level members, key → raw JSON text (as ClickHouse writes it), ``{}`` without any.
_MEMBERS = f"CAST(JSONExtractKeysAndValuesRaw(ifNull(extra, '')) AS Map({_KEY}, String))"


def _kept(test: str, value: str) -> str:
    """The members that pass ``test`` (over ``k`` and ``v``, the raw text), each as ``value``."""
    return f"mapApply((k, v) -> (k, {value}), mapFilter((k, v) -> {test}, {_MEMBERS}))"


#: kind → (the map's value type, its fill). A number goes in when its text is the text of the map's value,
#: so the map gives back exactly what ``JSONExtractRaw`` reads (``-0`` stays out of ``extra_long``).
_FILLS = {
    "string": ("String", _kept("JSONType(v) = 'String'", "JSONExtractString(v)")),
    "long": (
        "Int64",
        _kept("JSONType(v) = 'Int64' AND toString(JSONExtractInt(v)) = v", "JSONExtractInt(v)"),
    ),
    "double": ("Float64", _kept("JSONType(v) = 'Double' AND toString(toFloat64(v)) = v", "toFloat64(v)")),
    "boolean": ("Bool", _kept("JSONType(v) = 'Bool'", "v = 'true'")),
}


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql("clickhouse")


def _text(value: str) -> str:
    return exp.Literal.string(value).sql("clickhouse")


def _member_text(key: str) -> str:
    """The member's JSON text from the maps, else from the document (null when it lacks the key)."""

    def read(kind: str) -> tuple[str, str]:
        column = _quoted(EXTRA_MAPS[kind])
        return f"mapContains({column}, {key})", f"{column}[{key}]"

    (has_s, s), (has_l, long), (has_d, double), (has_b, boolean) = map(read, EXTRA_MAPS)
    string = f"replaceAll(toJSONString({s}), '\\\\/', '/')"
    return (
        f"multiIf({has_s}, {string}, {has_l}, toString({long}), {has_d}, toString({double}), "
        f"{has_b}, if({boolean}, 'true', 'false'), nullIf(JSONExtractRaw(extra, {key}), ''))"
    )


#: The typed maps: each column's definition (name, type, ``MATERIALIZED`` expression).
MAP_COLUMNS: tuple[str, ...] = tuple(
    f"{_quoted(EXTRA_MAPS[kind])} Map({_KEY}, {value}) MATERIALIZED {fill}"
    for kind, (value, fill) in _FILLS.items()
)
#: The promoted keys' columns: the member's JSON text, null when the row lacks it.
PROMOTED_COLUMNS: tuple[str, ...] = tuple(
    f"{_quoted(column)} Nullable(String) MATERIALIZED {_member_text(_text(key))}"
    for key, column in PROMOTED_EXTRA.items()
)


def migration(events: str, local: str | None = None, on: str = "") -> Migration:
    """Migration 6 on the table ``events`` (qualified), or on a cluster on each shard's ``local`` table and
    the ``Distributed`` ``events`` (``on``: the ``ON CLUSTER`` clause)."""
    added = ", ".join(f"ADD COLUMN IF NOT EXISTS {column}" for column in (*MAP_COLUMNS, *PROMOTED_COLUMNS))
    names = [*EXTRA_MAPS.values(), *PROMOTED_EXTRA.values()]
    filled = ", ".join(f"MATERIALIZE COLUMN {_quoted(name)}" for name in names)
    stored = local or events
    statements = [f"ALTER TABLE {stored}{on} {added}"]
    if local is not None:
        statements.append(f"ALTER TABLE {events}{on} {added}")
    statements.append(f"ALTER TABLE {stored}{on} {filled}")
    return Migration(VERSION, "extra maps and promoted keys", tuple(statements))
