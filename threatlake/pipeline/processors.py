"""Processors: a pipeline definition compiled, once, into one SQL statement over a whole batch.

The statement reads a relation named ``batch`` with the events schema (one column per catalogue field and the
JSON column ``extra``) and returns rows of exactly that schema, so its result goes straight to the store. Each
processor becomes one ``SELECT`` (a common table expression) over the previous one:

    drop          SELECT * FROM prev WHERE NOT COALESCE(<condition>, FALSE)     (null keeps the event)
    filter        SELECT * FROM prev WHERE <condition>                          (null drops the event)
    fieldsAdd     SELECT * REPLACE (<value> AS "field") FROM prev               (one per field, in order)
                  a non-catalogue field is merged into ``extra`` (json_merge_patch; null removes the key)
    fieldsRemove  catalogue columns set to NULL; ``extra`` keys removed by name or pattern
    fieldsRename  fieldsAdd of the new name from the old, then fieldsRemove of the old
    route         SELECT * REPLACE (CASE WHEN <condition> THEN $bucket ELSE "dt.system.bucket" END ...)

Conditions and values are DQL, compiled by ``threatlake.query.EventExpressions``; every user value is a bound
parameter. Running the statement is the store's business (``threatlake.store.batch.BatchExecutor``): this
module stays pure and takes the runner as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.model import Event
from threatlake.model.fields import FIELDS
from threatlake.pipeline.definitions import (
    BUILTIN,
    Drop,
    Expression,
    FieldsAdd,
    FieldsRemove,
    FieldsRename,
    Filter,
    PipelineDefinition,
    PipelineError,
    Position,
    Problem,
    Processor,
    Route,
    parse_pipeline,
)
from threatlake.query import NOW, EventExpressions
from threatlake.query.expression import EXTRA_COLUMN

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "BATCH",
    "COMPILERS",
    "IDENTITY",
    "BatchRunner",
    "CompiledPipeline",
    "Processed",
    "ProcessedTable",
    "compile_pipeline",
    "load_pipeline",
]

#: The relation name the statement reads.
BATCH = "batch"
_BUCKET = "dt.system.bucket"


class BatchRunner(Protocol):
    """Runs a statement over one batch (``threatlake.store.batch.BatchExecutor`` is the implementation)."""

    def run_on_batch(self, table: pa.Table, sql: str, params: Sequence[object]) -> pa.Table: ...

    def to_table(self, events: list[Event]) -> pa.Table: ...

    def to_events(self, table: pa.Table) -> list[Event]: ...


class Processed(NamedTuple):
    events: list[Event]
    dropped: int


class ProcessedTable(NamedTuple):
    table: pa.Table
    dropped: int


@dataclass(frozen=True, slots=True)
class CompiledPipeline:
    """A pipeline ready to run: its SQL (None when it has no processors) and bound parameters."""

    name: str
    endpoint: str
    sql: str | None
    params: tuple[object, ...] = ()
    definition: PipelineDefinition | None = None

    @property
    def noop(self) -> bool:
        return self.sql is None

    def bind(self, now: datetime) -> tuple[object, ...]:
        """The parameters with ``now()`` set to ``now``, the processing time (the core has no clock)."""
        return tuple(now.replace(tzinfo=None) if value is NOW else value for value in self.params)

    def apply(self, events: list[Event], runner: BatchRunner, *, now: datetime) -> Processed:
        """The events that remain after the pipeline, and how many it dropped. A no-op returns ``events``."""
        if self.sql is None or not events:
            return Processed(events, 0)
        table = runner.run_on_batch(runner.to_table(events), self.sql, self.bind(now))
        return Processed(runner.to_events(table), len(events) - table.num_rows)

    def apply_table(self, table: pa.Table, runner: BatchRunner, *, now: datetime) -> ProcessedTable:
        """The same on an Arrow table with the events schema (``threatlake.store.arrow.to_table``)."""
        if self.sql is None or table.num_rows == 0:
            return ProcessedTable(table, 0)
        out = runner.run_on_batch(table, self.sql, self.bind(now))
        return ProcessedTable(out, table.num_rows - out.num_rows)


#: The built-in endpoint with no user processors: mapping only.
IDENTITY = CompiledPipeline("builtin", BUILTIN, None)


# -- compiling -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Stage:
    replace: list[exp.Expression]
    where: exp.Expression | None = None


class _Compiler:
    def __init__(self) -> None:
        self.exprs = EventExpressions()
        self.stages: list[_Stage] = []
        self.problems: list[Problem] = []

    def condition(self, expression: Expression) -> exp.Expression | None:
        try:
            return self.exprs.condition(expression.text)
        except QueryError as error:
            self.located(expression.position, expression.path, error)
            return None

    def located(self, position: Position, path: str, error: QueryError) -> None:
        self.problems.append(Problem(position, path, error.message, error.line, error.column))

    def set_field(self, name: str, value: exp.Expression) -> None:
        """``value`` is already in the column's type (catalogue) or JSON (``extra``)."""
        if name in FIELDS:
            self.stages.append(_Stage([_alias(value, name)]))
            return
        patch = _fn("json_object", self.exprs.param(name), value)
        self.stages.append(
            _Stage([_alias(_extra_json(_fn("json_merge_patch", _extra_or_empty(), patch)), EXTRA_COLUMN)])
        )

    def typed_value(self, name: str, text: str) -> exp.Expression:
        value = self.exprs.value(text)
        return self.exprs.as_column(value, name) if name in FIELDS else self.exprs.as_json(value)

    def remove(self, names: Iterable[str]) -> None:
        columns: list[str] = []
        exact: list[str] = []
        patterns: list[str] = []
        for name in names:
            if "*" in name:
                regex = _wildcard(name)
                columns += [f for f in FIELDS if re.match(regex, f) and f not in columns]
                patterns.append(regex)
            else:
                (columns if name in FIELDS else exact).append(name)
        replace = [
            _alias(exp.Cast(this=exp.Null(), to=self.exprs.as_column_type(name)), name)
            for name in dict.fromkeys(columns)
        ]
        if patterns:
            key = exp.Anonymous(
                this="struct_extract", expressions=[exp.column("e"), exp.Literal.string("key")]
            )
            tests: list[exp.Expression] = [
                _fn("regexp_full_match", key.copy(), self.exprs.param(regex)) for regex in patterns
            ]
            if exact:
                tests.append(exp.In(this=key.copy(), expressions=[self.exprs.param(name) for name in exact]))
            keep = exp.Lambda(
                this=exp.Not(this=exp.Paren(this=exp.or_(*tests))), expressions=[exp.to_identifier("e")]
            )
            as_json = exp.Cast(this=exp.column(EXTRA_COLUMN, quoted=True), to=exp.DataType.build("JSON"))
            as_map = exp.Cast(this=as_json, to=exp.DataType.build("MAP(VARCHAR, JSON)", dialect="duckdb"))
            kept = _fn("map_from_entries", _fn("list_filter", _fn("map_entries", as_map), keep))
            replace.append(_alias(_extra_json(_fn("to_json", kept)), EXTRA_COLUMN))
        elif exact:
            nulls: list[exp.Expression] = []
            for name in exact:
                nulls += [self.exprs.param(name), exp.Null()]
            patch = _fn("json_merge_patch", exp.column(EXTRA_COLUMN, quoted=True), _fn("json_object", *nulls))
            replace.append(_alias(_extra_json(patch), EXTRA_COLUMN))
        if replace:
            self.stages.append(_Stage(replace))

    def processor(self, index: int, processor: Processor) -> None:
        COMPILERS[processor.kind](self, f"processors[{index}]", processor)

    def _condition_stage(self, path: str, processor: Processor) -> None:
        assert isinstance(processor, Drop | Filter)
        cond = self.condition(processor.condition)
        if cond is not None:
            if isinstance(processor, Drop):
                cond = exp.Not(this=exp.Coalesce(this=_paren(cond), expressions=[exp.false()]))
            self.stages.append(_Stage([], cond))

    def _route(self, path: str, processor: Processor) -> None:
        assert isinstance(processor, Route)
        cond = self.condition(processor.condition)
        if cond is not None:
            case = exp.Case(
                ifs=[exp.If(this=cond, true=self.exprs.param(processor.bucket))],
                default=exp.column(_BUCKET, quoted=True),
            )
            self.stages.append(_Stage([_alias(case, _BUCKET)]))

    def _fields_add(self, path: str, processor: Processor) -> None:
        assert isinstance(processor, FieldsAdd)
        for name, expression in processor.fields:
            try:
                self.set_field(name, self.typed_value(name, expression.text))
            except QueryError as error:
                self.located(expression.position, expression.path, error)

    def _fields_remove(self, path: str, processor: Processor) -> None:
        assert isinstance(processor, FieldsRemove)
        self.remove(processor.names)

    def _fields_rename(self, path: str, processor: Processor) -> None:
        assert isinstance(processor, FieldsRename)
        for new, old in processor.renames:
            if new == old:
                continue
            value = self.exprs.field(old)
            try:
                typed = self.exprs.as_column(value, new) if new in FIELDS else self.exprs.as_json(value)
            except QueryError as error:
                self.located(processor.position, f"{path}.fields.{new}", error)
                continue
            self.set_field(new, typed)
            self.remove([old])

    def statement(self) -> exp.Select | None:
        if not self.stages:
            return None
        source: exp.Expression = exp.Table(this=exp.to_identifier(BATCH))
        ctes: list[tuple[str, exp.Select]] = []
        select: exp.Select | None = None
        for number, stage in enumerate(self.stages, start=1):
            if select is not None:
                name = f"s{number - 1}"
                ctes.append((name, select))
                source = exp.Table(this=exp.to_identifier(name))
            star = exp.Star(replace=stage.replace) if stage.replace else exp.Star()
            select = exp.Select(expressions=[star]).from_(source, copy=False)
            if stage.where is not None:
                select = select.where(stage.where, copy=False)
        assert select is not None
        for name, cte in ctes:
            select = select.with_(name, as_=cte, copy=False)
        return select


#: processor type (``definitions.PROCESSORS``) → how the compiler turns it into a stage
COMPILERS: dict[str, Callable[[_Compiler, str, Processor], None]] = {
    "drop": _Compiler._condition_stage,
    "filter": _Compiler._condition_stage,
    "fieldsAdd": _Compiler._fields_add,
    "fieldsRemove": _Compiler._fields_remove,
    "fieldsRename": _Compiler._fields_rename,
    "route": _Compiler._route,
}


def load_pipeline(text: str, source: str, *, name: str | None = None) -> CompiledPipeline:
    """Read and compile one pipeline; ``PipelineError`` lists every problem at once: the structure's and the
    DQL's of every processor that could be read, in the order of the file."""
    try:
        return compile_pipeline(parse_pipeline(text, source, name=name))
    except PipelineError as error:
        compiler = _Compiler()
        for index, processor in enumerate(error.processors):
            compiler.processor(index, processor)
        if not compiler.problems:
            raise
        found = sorted(
            [*error.problems, *compiler.problems], key=lambda p: (p.position.line, p.position.column)
        )
        raise PipelineError(found) from None


def compile_pipeline(definition: PipelineDefinition) -> CompiledPipeline:
    """Compile every processor into one statement; ``PipelineError`` lists every DQL problem, located both in
    the YAML and inside the expression."""
    compiler = _Compiler()
    for index, processor in enumerate(definition.processors):
        compiler.processor(index, processor)
    if compiler.problems:
        raise PipelineError(compiler.problems)
    tree = compiler.statement()
    if tree is None:
        return CompiledPipeline(definition.name, definition.endpoint, None, (), definition)
    sql, params = compiler.exprs.render(tree)
    return CompiledPipeline(definition.name, definition.endpoint, sql, params, definition)


# -- sqlglot helpers -------------------------------------------------------------------------------------


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _alias(node: exp.Expression, name: str) -> exp.Expression:
    return exp.Alias(this=node, alias=exp.to_identifier(name, quoted=True))


def _paren(node: exp.Expression) -> exp.Expression:
    return node if isinstance(node, exp.Column | exp.Boolean | exp.Null | exp.Paren) else exp.Paren(this=node)


def _extra_or_empty() -> exp.Expression:
    return exp.Coalesce(this=exp.column(EXTRA_COLUMN, quoted=True), expressions=[exp.Literal.string("{}")])


def _extra_json(node: exp.Expression) -> exp.Expression:
    """An ``extra`` value as text, NULL when the object is empty (absent, never empty)."""
    text = exp.Cast(this=node, to=exp.DataType.build("VARCHAR"))
    return exp.Nullif(this=text, expression=exp.Literal.string("{}"))


def _wildcard(pattern: str) -> str:
    return "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
