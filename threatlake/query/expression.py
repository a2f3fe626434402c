"""Standalone DQL expressions over a relation with the events schema: a pipeline's conditions and values.

A query compiles a whole pipe of commands; a pipeline processor needs single expressions (``event.type ==
"X"``, ``lower(finding.title)``) to place in a statement it builds itself. ``EventExpressions`` compiles them
against the stored shape of events (one column per catalogue field, non-catalogue fields in the JSON column
``extra``), sharing one set of bound parameters across every expression of the statement::

    exprs = EventExpressions()
    cond = exprs.condition('dt.security.risk.level == "NONE"')   # QueryError with line/column in the text
    tree = exp.select("*").from_("batch").where(exp.not_(cond))
    sql, params = exprs.render(tree)

``now()`` is bound to the marker ``NOW``: the caller replaces that parameter with the processing time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.model.fields import FIELDS, STORAGE_TYPES
from threatlake.query import nodes as n
from threatlake.query.dialects import dialect_for
from threatlake.query.dtypes import JSON, NULL, DType, Typed, from_field_type
from threatlake.query.expressions import UNEXPECTED, ExprCompiler, cast, coerce
from threatlake.query.frame import RAW_COLUMNS, Ctx, Frame, Params
from threatlake.query.frame import sql_type as frame_sql_type
from threatlake.query.parser import ASSIGN_HINT, _Parser
from threatlake.query.tokens import TokenType, tokenize

__all__ = ["EXTRA_COLUMN", "NOW", "EventExpressions"]

EXTRA_COLUMN = "extra"
_T = TypeVar("_T")


class _Now(datetime):
    """A distinct type, so no user value ever shares the ``now()`` parameter."""


#: The parameter value ``now()`` compiles to; replace it with the processing time before running.
NOW: Final[datetime] = _Now(1970, 1, 1)


def _subquery_refused(query: n.Query) -> Frame:
    raise QueryError("A sub-query is not allowed in a pipeline expression")


class EventExpressions:
    """Compiles DQL expressions, one at a time, against one events-shaped relation; see the module doc."""

    def __init__(self) -> None:
        self.params = Params()
        frame = Frame(
            exp.Table(this=exp.to_identifier("batch")),
            RAW_COLUMNS,
            (NOW, NOW),
            extra=exp.column(EXTRA_COLUMN, quoted=True),
            sparse=True,
        )
        self._ctx = Ctx(self.params, NOW, (NOW, NOW), "duckdb", subquery=_subquery_refused)
        self._compiler = ExprCompiler(self._ctx, frame)

    # -- compiling user text

    def parse(self, text: str) -> n.Expr:
        """One expression, the whole of ``text``; QueryError with line and column inside ``text``."""
        tokens = tokenize(text)
        parser = _Parser(tokens)  # the query parser, entered at its expression rule
        try:
            node = parser.expr()
        except RecursionError:
            raise QueryError("Expression nested too deeply", 1, 1, text[:20]) from None
        if parser.tok.is_op("="):
            raise parser.tok.error(f"Unexpected '='{{where}}; {ASSIGN_HINT}")
        if parser.tok.type is not TokenType.EOF:
            raise parser.tok.error(f"Expected the end of the expression but found '{parser.tok.text}'")
        return node

    def value(self, text: str) -> Typed:
        """The typed SQL value of a DQL expression (a field, a function call, arithmetic...)."""
        return self._guard(text, lambda: self._compiler.compile(self.parse(text)))

    def condition(self, text: str) -> exp.Expression:
        """A boolean SQL condition (it may be null: DQL's three-valued logic)."""
        return self._guard(text, lambda: self._compiler.condition(self.parse(text)))

    # -- building blocks for the statement

    def field(self, name: str) -> Typed:
        """Reading a field: its catalogue column, or its key in ``extra`` (JSON)."""
        return self._compiler.lookup(name, n.Pos(1, 1, name))

    def param(self, value: object) -> exp.Expression:
        """A bound parameter (user values never become SQL text)."""
        return self.params.add(value)

    def as_column(self, value: Typed, name: str) -> exp.Expression:
        """``value`` as the catalogue column ``name`` stores it; QueryError when its type cannot fit."""
        ftype = FIELDS[name].type
        target = from_field_type(ftype)
        sql_type = STORAGE_TYPES[ftype]
        if value.kind == "null":
            return cast(exp.Null(), sql_type, safe=False)
        if target.kind == "array":
            if value.kind == "json":
                return cast(value.sql, sql_type)
            if value.type == target:
                return value.sql
            raise QueryError(f"Field '{name}' holds an array of strings but the value is {_kind(value.type)}")
        try:
            coerced = coerce(value, target.kind)
        except QueryError:
            raise QueryError(
                f"Field '{name}' holds a {target.kind} but the value is {_kind(value.type)}"
            ) from None
        if coerced.kind == "double" and value.kind == "long":
            return cast(coerced.sql, "DOUBLE", safe=False)
        return coerced.sql

    def as_column_type(self, name: str) -> exp.DataType:
        """The SQL type of the catalogue column ``name``."""
        return frame_sql_type(STORAGE_TYPES[FIELDS[name].type])

    def as_json(self, value: Typed) -> exp.Expression:
        """``value`` as a JSON value for the ``extra`` object (null stays SQL null: the key is dropped)."""
        if value.type == NULL:
            return exp.Null()
        if value.type == JSON:
            return cast(value.sql, "JSON", safe=False)
        return exp.Anonymous(this="to_json", expressions=[value.sql])

    def render(self, tree: exp.Expression, dialect: str = "duckdb") -> tuple[str, tuple[object, ...]]:
        """SQL text with ``$1..$n`` numbered in order of use, and those parameters."""
        used: list[object] = []
        mapping: dict[str, str] = {}
        ctes = tree.args.get("with_") or tree.args.get("with")
        first = list(ctes.find_all(exp.Placeholder, bfs=False)) if ctes is not None else []
        seen = {id(node) for node in first}
        rest = [node for node in tree.find_all(exp.Placeholder, bfs=False) if id(node) not in seen]
        for node in first + rest:  # numbered in the order they are written
            old = str(node.this)
            if old not in mapping:
                used.append(self.params.values[int(old) - 1])
                mapping[old] = str(len(used))
            node.set("this", mapping[old])
        return dialect_for(dialect).generate(tree, used), tuple(used)

    def _guard(self, text: str, compile_it: Callable[[], _T]) -> _T:
        try:
            return compile_it()
        except QueryError:
            raise
        except RecursionError:
            raise QueryError("Expression nested too deeply", 1, 1, text[:20]) from None
        except Exception as error:  # a compiler bug still reaches the user as a positioned error
            raise QueryError(UNEXPECTED, 1, 1) from error


def _kind(dtype: DType) -> str:
    return f"an array of {dtype.item}" if dtype.kind == "array" else f"a {dtype.kind}"
