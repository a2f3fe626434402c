"""Regenerate the document golden files after a reviewed change: ``python -m tests.documents.regen``."""

from __future__ import annotations

from pathlib import Path

import orjson

from threatlake.documents import normalize

GOLDEN = Path(__file__).parent / "golden"
TYPES = {"dashboard": "dashboard", "notebook": "notebook"}


def document_type(path: Path) -> str:
    return next(kind for word, kind in TYPES.items() if word in path.name)


def expected_path(path: Path) -> Path:
    return path.with_name(path.name.replace(".input.json", ".golden.json"))


def render(path: Path) -> bytes:
    normalized = normalize(document_type(path), path.read_bytes())
    return orjson.dumps(normalized, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def main() -> None:
    for path in sorted(GOLDEN.glob("*.input.json")):
        expected_path(path).write_bytes(render(path))
        print(f"wrote {expected_path(path).name}")


if __name__ == "__main__":
    main()
