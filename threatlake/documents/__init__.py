"""The commercial product's document formats: dashboards and notebooks, parsed, checked and normalized.

Pure: no disk, network or clock. A document is kept as the JSON the user brought (unknown keys survive a
round trip); ``normalize_dashboard``/``normalize_notebook`` check it, fill the defaults the pages rely on and
raise one ``RequestError`` naming every problem by its JSON path (``tiles.3.query``) or, for text that is not
JSON, its line and column. ``DOCUMENT_TYPES`` is the registry the Document API, the CLI and the pages share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threatlake.documents.dashboard import (
    GRID_COLUMNS,
    VISUALIZATIONS,
    data_tiles,
    normalize_dashboard,
    tile_visualization,
)
from threatlake.documents.notebook import dql_sections, normalize_notebook
from threatlake.documents.shipped import SHIPPED, shipped_dashboard, shipped_dashboards
from threatlake.documents.source import load_document
from threatlake.documents.variables import csv_choices, default_values, dql_literal, substitute

__all__ = [
    "DOCUMENT_TYPES",
    "GRID_COLUMNS",
    "SHIPPED",
    "VISUALIZATIONS",
    "csv_choices",
    "data_tiles",
    "default_values",
    "dql_literal",
    "dql_sections",
    "load_document",
    "normalize",
    "normalize_dashboard",
    "normalize_notebook",
    "shipped_dashboard",
    "shipped_dashboards",
    "substitute",
    "tile_visualization",
]

#: Document type → its normalizer. A type not listed here is not stored.
DOCUMENT_TYPES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "dashboard": normalize_dashboard,
    "notebook": normalize_notebook,
}


def normalize(document_type: str, content: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """``content`` (JSON text or parsed) of ``document_type`` checked and normalized."""
    from threatlake.errors import RequestError

    normalizer = DOCUMENT_TYPES.get(document_type)
    if normalizer is None:
        known = ", ".join(repr(name) for name in DOCUMENT_TYPES)
        raise RequestError(
            f"Unknown document type {document_type[:40]!r}: Threatlake stores {known}", {"field": "type"}
        )
    parsed = content if isinstance(content, dict) else load_document(content, document_type)
    return normalizer(parsed)
