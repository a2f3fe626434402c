"""Golden files: every fixture finding file and the events it maps to, reviewed in diffs.

Regenerate after a reviewed mapping change with ``make golden`` (``python -m tests.golden``). Golden events
leave out ``dt.raw_data`` (tested separately: it is the original finding) to keep the diffs readable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from threatlake import samples
from threatlake.pipeline.mapping import Batch, IngestContext, map_bytes

FIXTURES = Path(__file__).parent / "fixtures"
#: The bundled samples exist once, in the package (they are the demo data too); tests read them there.
SAMPLES = Path(samples.__file__).parent
GOLDEN = FIXTURES / "golden"
#: Where inputs live → the folder of their golden files under ``GOLDEN``.
INPUT_DIRS = {SAMPLES: "samples", FIXTURES / "findings": "findings"}
SUFFIXES = (".json", ".ndjson", ".jsonl", ".gz")
# A fixed receive time after every fixture's own times, so no timestamp is clamped and output is stable.
RECEIVED_AT = datetime(2027, 1, 1, tzinfo=UTC)
CONTEXT = IngestContext(received_at=RECEIVED_AT, source="golden")


def inputs() -> list[Path]:
    found: list[Path] = []
    for directory in INPUT_DIRS:
        found.extend(p for p in sorted(directory.rglob("*")) if p.suffix in SUFFIXES)
    return found


def golden_path(path: Path) -> Path:
    for directory, name in INPUT_DIRS.items():
        if path.is_relative_to(directory):
            return GOLDEN / name / path.relative_to(directory).with_suffix(".json")
    raise ValueError(f"{path} is not a golden input")


def map_file(path: Path) -> Batch:
    return map_bytes(path.read_bytes(), CONTEXT, path.name)


def render(batch: Batch) -> bytes:
    """The events as an indented JSON array with sorted keys: one field per line, for reviewable diffs."""
    shown = [{key: value for key, value in event.items() if key != "dt.raw_data"} for event in batch.events]
    return orjson.dumps(shown, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def regenerate() -> int:
    for path in inputs():
        target = golden_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render(map_file(path)))
    return len(inputs())


if __name__ == "__main__":
    print(f"regenerated {regenerate()} golden files in {GOLDEN}")
