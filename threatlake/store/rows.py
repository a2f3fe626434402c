"""Events ready to write: ``prepare`` turns event dicts into ``Rows`` (one Arrow table, distinct ids).

A store's write has two parts: the conversion of event dicts to a column-wise table (``arrow.dedupe`` +
``arrow.to_table``, pure, and the costlier one in Python) and the database work. ``prepare`` is the first
part on its own, so it can run where the events were made (a request's worker thread, a map worker process)
and the one writer thread only does the second (``Store.write_rows``). ``combine`` joins the rows of several
requests for one group commit exactly as a write of all their events would (the first event carrying an id
wins, in order); ``to_ipc``/``from_ipc`` carry rows between processes as Arrow IPC (read without a copy).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from threatlake.model import Event
from threatlake.store.arrow import ARROW_SCHEMA, dedupe, to_table
from threatlake.store.protocol import Rows

__all__ = ["combine", "from_ipc", "prepare", "to_ipc"]

_ID = "event.id"
_ROW = "_threatlake_row"


def prepare(events: Iterable[Event]) -> Rows:
    """The rows a store writes for ``events``: the first event of each id (ids filled in as the model
    derives them), and how many repeats were left out. Pure: any thread or process may run it."""
    unique, repeats = dedupe(events)
    return Rows(to_table(unique) if unique else ARROW_SCHEMA.empty_table(), repeats)


def combine(parts: Sequence[Rows]) -> Rows:
    """The rows of ``parts`` in order as one: an id in several parts is kept from the first (the later
    copies count as repeats), as ``prepare`` of all their events together would keep it."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return Rows(ARROW_SCHEMA.empty_table())
    table = pa.concat_tables([part.table for part in parts])
    repeats = sum(part.repeats for part in parts)
    ids = table.column(_ID)
    if pc.count_distinct(ids).as_py() == table.num_rows:  # the usual case: requests carry different ids
        return Rows(table, repeats)
    positions = pa.table({_ID: ids, _ROW: pa.array(range(table.num_rows), pa.int64())})
    first = positions.group_by(_ID, use_threads=False).aggregate([(_ROW, "min")]).column(f"{_ROW}_min")
    kept = table.take(pc.take(first, pc.sort_indices(first)))  # each id's first row, in their order
    return Rows(kept, repeats + table.num_rows - kept.num_rows)


def to_ipc(rows: Rows) -> tuple[bytes, int]:
    """``rows`` as Arrow IPC stream bytes and the repeats count (what a map worker sends back)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.table.schema) as stream:
        stream.write_table(rows.table)
    return sink.getvalue().to_pybytes(), rows.repeats


def from_ipc(data: bytes, repeats: int) -> Rows:
    """The rows ``to_ipc`` sent: the table's buffers point into ``data`` (no copy)."""
    with pa.ipc.open_stream(pa.py_buffer(data)) as stream:
        return Rows(stream.read_all(), repeats)
