"""Events to Arrow: a batch of event dicts becomes one typed, column-wise ``pyarrow.Table``.

Writes go through Arrow because a store ingests a column-wise batch in one statement at hundreds of thousands
of rows per second, where row-by-row inserts manage hundreds. Each column is built in one ``pa.array`` call;
only a column holding a value of the wrong type falls back to a per-value pass, and a value that cannot be
coerced to its column's type is kept, unchanged, in ``extra`` rather than lost.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from threatlake.model import Event, event_id, parse_timestamp
from threatlake.model.fields import FieldType
from threatlake.store.schema import COLUMNS

__all__ = ["ARROW_SCHEMA", "ARROW_TYPES", "dedupe", "to_table"]

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
    ``itemgetter`` and ``zip`` in C rather than by a dictionary lookup per event and column.
    """
    shapes: dict[tuple[str, ...], list[Event]] = {}
    for event in events:
        shapes.setdefault(tuple(event), []).append(event)
    groups: dict[frozenset[str], list[Event]] = {}
    for keys, members in shapes.items():
        groups.setdefault(frozenset(keys), []).extend(members)
    with _gc_paused():
        tables = [_group_table(sorted(keys), members) for keys, members in groups.items()]
    if not tables:
        return ARROW_SCHEMA.empty_table()
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _group_table(keys: list[str], events: list[Event]) -> pa.Table:
    """The table of events that all have exactly ``keys``."""
    known = [key for key in keys if key in _TYPES]
    present: dict[str, Sequence[Any]]
    if len(known) > 1:
        present = dict(zip(known, zip(*map(itemgetter(*known), events), strict=True), strict=True))
    else:
        present = {key: [event[key] for event in events] for key in known}
    size = len(events)
    unfit: dict[int, dict[str, Any]] = {}
    arrays = [
        _array(name, ftype, list(present[name]), unfit)
        if name in present
        else pa.nulls(size, ARROW_TYPES[ftype])
        for name, ftype in _TYPES.items()
    ]
    extra_keys = [key for key in keys if key not in _TYPES]
    if extra_keys or unfit:
        arrays.append(pa.array(_extra(events, extra_keys, unfit), type=pa.string()))
    else:
        arrays.append(pa.nulls(size, pa.string()))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building a batch allocates millions of short-lived objects; cyclic GC passes over them cost more than
    the build itself and free nothing (the values are all reachable)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        obj = {key: event[key] for key in keys}
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
