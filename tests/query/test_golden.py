"""Every command, function and syntax form: the SQL matches its golden file, and the store runs it."""

from __future__ import annotations

import duckdb
import pytest

from tests.query.regen import DIALECTS, TABLES, compiled, golden_path
from threatlake.query import compile_query
from threatlake.query.aggregates import AGGREGATES
from threatlake.query.functions import FUNCTIONS
from threatlake.query.parser import COMMANDS

from .conftest import NOW

CASES = [(table, name, text) for table, cases in TABLES.items() for name, text in cases.items()]
IDS = [f"{table}:{name}" for table, name, _ in CASES]


def test_every_command_and_function_has_a_case() -> None:
    assert set(TABLES["commands"]) == set(COMMANDS)
    assert set(TABLES["functions"]) == set(FUNCTIONS) | set(AGGREGATES)


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize(("table", "name", "text"), CASES, ids=IDS)
def test_golden(table: str, name: str, text: str, dialect: str) -> None:
    from tests.query.regen import read

    expected = read(golden_path(table, dialect))[name]
    assert compiled(text, dialect) == expected, "run `python -m tests.query.regen` and review the diff"


@pytest.mark.parametrize(("table", "name", "text"), CASES, ids=IDS)
def test_runs_on_duckdb(store: duckdb.DuckDBPyConnection, table: str, name: str, text: str) -> None:
    query = compile_query(text, now=NOW)
    store.execute(query.sql, list(query.params)).fetchall()
