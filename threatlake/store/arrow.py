"""Events to Arrow: a batch of event dicts becomes one typed, column-wise ``pyarrow.Table``.

Writes go through Arrow because a store ingests a column-wise batch in one statement at hundreds of thousands
of rows per second, where row-by-row inserts manage hundreds. Each column is built in one ``pa.array`` call;
only a column holding a value of the wrong type falls back to a per-value pass, and a value that cannot be
coerced to its column's type is kept, unchanged, in ``extra`` rather than lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from threatlake.model import Event, event_id, parse_timestamp
from threatlake.model.fields import FieldType
from threatlake.store.protocol import TriageRow
from threatlake.store.schema import COLUMNS, TRIAGE_COLUMNS

__all__ = ["ARROW_SCHEMA", "ARROW_TYPES", "dedupe", "to_table", "triage_arrow"]

ARROW_TYPES: dict[FieldType, pa.DataType] = {
    FieldType.STRING: pa.string(),
    FieldType.LONG: pa.int64(),
    FieldType.DOUBLE: pa.float64(),
    FieldType.BOOLEAN: pa.bool_(),
    FieldType.TIMESTAMP: pa.timestamp("us"),
    FieldType.STRING_ARRAY: pa.list_(pa.string()),
}

ARROW_SCHEMA = pa.schema(
    [pa.field(col.name, ARROW_TYPES[col.type] if col.type else pa.string()) for col in COLUMNS]
)

_TYPES: dict[str, FieldType] = {col.name: col.type for col in COLUMNS if col.type is not None}
_UTC_NS = pa.timestamp("ns", tz="UTC")
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)


class _Unfit:
    """Marks a value that does not fit its column (it goes to ``extra``)."""


_UNFIT = _Unfit()


def dedupe(events: Iterable[Event]) -> tuple[list[Event], int]:
    """The events with distinct ids (first one wins) and how many repeats were dropped.

    An event without ``event.id`` is copied with the model's deterministic id (the caller's dict stays as
    it was).
    """
    unique: dict[str, Event] = {}
    total = 0
    for event in events:
        total += 1
        key = event.get("event.id")
        if key:
            unique.setdefault(str(key), event)
        else:
            key = event_id(event)
            unique.setdefault(key, {**event, "event.id": key})
    return list(unique.values()), total - len(unique)


def to_table(events: list[Event]) -> pa.Table:
    """A table with ``ARROW_SCHEMA`` holding ``events`` (in an order of its choosing).

    Events are grouped by their set of keys (a mapper emits few shapes), so each group is transposed by
    ``itemgetter`` and ``zip`` in C rather than by a dictionary lookup per event and column. The groups of a
    column are then joined and converted by one ``pa.array`` call: per-call overhead, not the values,
    dominated when every group was converted on its own. Only a column holding a value Arrow refuses is
    converted group by group, so coercion sees the same groups of values it always has.
    """
    shapes: dict[tuple[str, ...], list[Event]] = {}
    for event in events:
        shapes.setdefault(tuple(event), []).append(event)
    groups: dict[frozenset[str], list[Event]] = {}
    for keys, members in shapes.items():
        groups.setdefault(frozenset(keys), []).extend(members)
    if not groups:
        return ARROW_SCHEMA.empty_table()
    ordered = [(sorted(keys), members) for keys, members in groups.items()]
    columns = [_transpose(keys, members) for keys, members in ordered]
    rows = [event for _, members in ordered for event in members]
    unfit: dict[int, dict[str, Any]] = {}
    arrays = [_column(name, ftype, columns, unfit) for name, ftype in _TYPES.items()]
    extra_keys = sorted({key for keys, _ in ordered for key in keys if key not in _TYPES})
    if extra_keys or unfit:
        arrays.append(pa.array(_extra(rows, extra_keys, unfit), type=pa.string()))
    else:
        arrays.append(pa.nulls(len(rows), pa.string()))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


# One group's catalogue columns (name → its values) and its size.
_Group = tuple[dict[str, Sequence[Any]], int]


def _transpose(keys: list[str], events: list[Event]) -> _Group:
    """The catalogue columns of events that all have exactly ``keys``."""
    known = [key for key in keys if key in _TYPES]
    if len(known) > 1:
        return dict(zip(known, zip(*map(itemgetter(*known), events), strict=True), strict=True)), len(events)
    return {key: [event[key] for event in events] for key in known}, len(events)


def _column(name: str, ftype: FieldType, groups: list[_Group], unfit: dict[int, dict[str, Any]]) -> pa.Array:
    values: list[Any] = []
    for columns, size in groups:
        present = columns.get(name)
        values.extend(present if present is not None else repeat(None, size))
    if not any(name in columns for columns, _ in groups):
        return pa.nulls(len(values), ARROW_TYPES[ftype])
    try:
        return _fast_array(ftype, values)
    except _CONVERSION_ERRORS:
        pass
    chunks: list[pa.Array] = []
    offset = 0
    for columns, size in groups:  # as each group was always converted: on its own
        present = columns.get(name)
        if present is None:
            chunks.append(pa.nulls(size, ARROW_TYPES[ftype]))
        else:
            local: dict[int, dict[str, Any]] = {}
            chunks.append(_array(name, ftype, list(present), local))
            for row, bad in local.items():
                unfit.setdefault(offset + row, {}).update(bad)
        offset += size
    return pa.concat_arrays(chunks)


def _fast_array(ftype: FieldType, values: list[Any]) -> pa.Array:
    """The column when every value converts as it is (raises otherwise)."""
    if ftype is FieldType.TIMESTAMP:
        parsed = pc.cast(pa.array(values, type=pa.string()), _UTC_NS)
        return pc.cast(parsed, pa.timestamp("us"), safe=False)
    if ftype is FieldType.STRING_ARRAY and any(isinstance(value, str) for value in values):
        raise TypeError("Arrow would split a string into characters")
    return pa.array(values, type=ARROW_TYPES[ftype])


def _array(name: str, ftype: FieldType, values: list[Any], unfit: dict[int, dict[str, Any]]) -> pa.Array:
    arrow_type = ARROW_TYPES[ftype]
    if ftype is FieldType.TIMESTAMP:
        return _timestamps(name, values, unfit)
    try:
        if ftype is FieldType.STRING_ARRAY and any(isinstance(value, str) for value in values):
            raise TypeError("Arrow would split a string into characters")
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        coerce = _COERCE[ftype]
        fixed = []
        for row, value in enumerate(values):
            coerced = coerce(value) if value is not None else None
            if coerced is _UNFIT:
                unfit.setdefault(row, {})[name] = value
                coerced = None
            fixed.append(coerced)
        return pa.array(fixed, type=arrow_type)


def _timestamps(name: str, values: list[Any], unfit: dict[int, dict[str, Any]]) -> pa.Array:
    """ISO strings parsed in one vectorized cast (offsets honoured); anything else parsed one by one."""
    try:
        parsed = pc.cast(pa.array(values, type=pa.string()), _UTC_NS)
        return pc.cast(parsed, pa.timestamp("us"), safe=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        pass
    fixed: list[datetime | None] = []
    for row, value in enumerate(values):
        moment = value.astimezone(UTC) if isinstance(value, datetime) else parse_timestamp(value)
        if moment is None and value is not None:
            unfit.setdefault(row, {})[name] = value
        fixed.append(moment.replace(tzinfo=None) if moment is not None else None)
    return pa.array(fixed, type=pa.timestamp("us"))


def _extra(events: list[Event], keys: list[str], unfit: dict[int, dict[str, Any]]) -> list[str | None]:
    """The JSON object of each event's non-catalogue keys (and unfit values), or None when there are none."""
    extra: list[str | None] = []
    for row, event in enumerate(events):
        obj = {key: event[key] for key in keys if key in event}
        bad = unfit.get(row)
        if bad:
            obj.update(bad)
        extra.append(orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS).decode() if obj else None)
    return extra


def _to_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return _UNFIT


def _to_long(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str):
        try:
            return _to_long(int(value.strip()))
        except ValueError:
            return _UNFIT
    return _UNFIT


def _to_double(value: Any) -> Any:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return _UNFIT
    return _UNFIT


def _to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return _UNFIT


def _to_strings(value: Any) -> Any:
    items = value if isinstance(value, list | tuple) else [value]
    coerced = [_to_str(item) for item in items if item is not None]
    return _UNFIT if any(item is _UNFIT for item in coerced) else coerced


_COERCE: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.STRING: _to_str,
    FieldType.LONG: _to_long,
    FieldType.DOUBLE: _to_double,
    FieldType.BOOLEAN: _to_bool,
    FieldType.STRING_ARRAY: _to_strings,
}


_TRIAGE_TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us")}


def triage_arrow(rows: Sequence[TriageRow]) -> pa.Table:
    """The triage mirror's rows as an Arrow table (naive UTC times), one row per finding: the last wins."""
    latest = {row.finding_id: row for row in rows}  # the last row of a finding wins
    values = [
        [row.finding_id for row in latest.values()],
        [row.status for row in latest.values()],
        [row.assignee for row in latest.values()],
        [_naive_utc(row.expires) for row in latest.values()],
        [_naive_utc(row.modified) for row in latest.values()],
        [row.modified_by for row in latest.values()],
    ]
    schema = pa.schema([(name, _TRIAGE_TYPES[kind]) for name, kind in TRIAGE_COLUMNS.items()])
    return pa.table(values, schema=schema)


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
