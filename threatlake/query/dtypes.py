"""DQL value types as the compiler tracks them, and the typed SQL value (``Typed``) it passes around."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from threatlake.model.fields import FieldType

__all__ = [
    "BOOLEAN",
    "DOUBLE",
    "DURATION",
    "JSON",
    "LONG",
    "NULL",
    "STRING",
    "TIMESTAMP",
    "DType",
    "Typed",
    "array_of",
    "from_field_type",
    "record_of",
]


@dataclass(frozen=True, slots=True)
class DType:
    """``kind`` is a DQL type name; ``json`` means a dynamic value (the ``extra`` column or a parsed JSON)."""

    kind: str
    item: DType | None = None
    fields: tuple[tuple[str, DType], ...] | None = None

    def __str__(self) -> str:
        return self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in ("long", "double")

    def field(self, name: str) -> DType | None:
        return dict(self.fields or ()).get(name)


STRING, LONG, DOUBLE = DType("string"), DType("long"), DType("double")
BOOLEAN, TIMESTAMP, DURATION = DType("boolean"), DType("timestamp"), DType("duration")
JSON, NULL = DType("json"), DType("null")


def array_of(item: DType) -> DType:
    return DType("array", item=item)


def record_of(fields: list[tuple[str, DType]]) -> DType:
    return DType("record", fields=tuple(fields))


def from_field_type(ftype: FieldType) -> DType:
    if ftype is FieldType.STRING_ARRAY:
        return array_of(STRING)
    return DType(ftype.value)


@dataclass(frozen=True, slots=True)
class Typed:
    """A compiled expression: a sqlglot tree and its DQL type."""

    sql: exp.Expression
    type: DType

    @property
    def kind(self) -> str:
        return self.type.kind
