"""Random token streams: the compiler either compiles or raises QueryError, never anything else."""

from __future__ import annotations

import functools
from datetime import datetime

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threatlake.errors import QueryError
from threatlake.query import compile_query
from threatlake.query.aggregates import AGGREGATES
from threatlake.query.expressions import UNEXPECTED as INTERNAL_ERROR
from threatlake.query.functions import FUNCTIONS
from threatlake.query.parser import COMMANDS

NOW = datetime(2026, 1, 1, 12)
WORDS = [*COMMANDS, *FUNCTIONS, *AGGREGATES, "security.events", "events", "dt.system.buckets", "event.id"]
WORDS += [
    "timestamp",
    "actor.ips",
    "finding.count",
    "and",
    "or",
    "not",
    "xor",
    "in",
    "asc",
    "desc",
    "true",
    "null",
]
WORDS += ["by", "sort", "from", "to", "interval", "alias", "on", "kind", "left", "right", "x", "`odd name`"]
SYMBOLS = [
    "|",
    ",",
    ":",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "@",
    "~",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
]
LITERALS = [
    '"a"',
    "'b*'",
    '"JSON:j"',
    '"10.0.0.0/8"',
    "1",
    "0",
    "-3",
    "2.5",
    "1h",
    "7d",
    "30s",
    '"2026-01-01T00:00:00Z"',
]
TOKENS = st.sampled_from(WORDS + SYMBOLS + LITERALS)


def _check(text: str) -> None:
    try:
        compile_query(text, now=NOW)
    except QueryError as error:
        assert INTERNAL_ERROR not in str(error), f"{text!r}: {error}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=25))
def test_random_token_streams(tokens: list[str]) -> None:
    _check(" ".join(tokens))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=20))
def test_random_pipelines_after_fetch(tokens: list[str]) -> None:
    _check("fetch security.events | " + " ".join(tokens))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_random_text(text: str) -> None:
    _check(text)


# A small grammar, so random queries get past the parser and exercise the stages and the SQL they emit.
_FIELDS = ["event.id", "timestamp", "actor.ips", "finding.count", "dt.security.risk.score", "service.count"]
_LITS = ['"a"', '"b*"', '"10.0.0.0/8"', "1", "0", "-3", "2.5", "1h", "true", "null", '"2026-01-01T00:00:00Z"']
_OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", "and", "or", "xor", "@", "~", "in"]
_NAMED = ["decimals:1", "caseSensitive:false", "else:1", 'format:"HH"', "maxLength:2", 'unit:"s"']


def _expressions(aggregate: bool) -> st.SearchStrategy[str]:
    names = sorted(FUNCTIONS) + (sorted(AGGREGATES) if aggregate else [])
    leaves = st.sampled_from(_FIELDS + _LITS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(_OPS), inner).map(" ".join)
        call = st.tuples(st.sampled_from(names), st.lists(inner | st.sampled_from(_NAMED), max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        )
        access = st.tuples(inner, st.sampled_from(["", "0", "a"])).map(lambda t: f"{t[0]}[{t[1]}]")
        return binary | call | access | inner.map(lambda e: f"not {e}")

    return st.recursive(leaves, extend, max_leaves=6)


_COMMAND = st.one_of(
    _expressions(False).map(lambda e: f"filter {e}"),
    _expressions(False).map(lambda e: f"filterOut {e}"),
    _expressions(False).map(lambda e: f"fieldsAdd x = {e}"),
    _expressions(False).map(lambda e: f"fields event.id, timestamp, x = {e}"),
    _expressions(False).map(lambda e: f"sort {e} desc"),
    _expressions(False).map(lambda e: f"dedup {e}, sort:{{timestamp desc}}"),
    _expressions(True).map(lambda e: f"summarize y = {e}, by:{{event.id}}"),
    _expressions(True).map(lambda e: f"makeTimeseries y = {e}, interval:1h"),
    st.just("expand actor.ips"),
    st.just("limit 3"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_COMMAND, min_size=1, max_size=3))
def test_random_grammar_compiles_and_runs(commands: list[str]) -> None:
    text = "fetch security.events | " + " | ".join(commands)
    try:
        query = compile_query(text, now=NOW)
    except QueryError as error:
        assert INTERNAL_ERROR not in str(error), f"{text!r}: {error}"
        return
    _store().execute(query.sql, list(query.params)).fetchall()


@functools.cache
def _store() -> duckdb.DuckDBPyConnection:
    from tests.query.conftest import EVENTS, create_store

    return create_store(EVENTS)
