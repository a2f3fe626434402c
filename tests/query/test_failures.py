"""Engine errors become safe messages: the kind of failure, never the engine's text or the SQL."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from threatlake.query import compile_query
from threatlake.query.failures import FAILED, user_message

from .conftest import NOW


@pytest.mark.parametrize(
    ("dql", "kind"),
    [
        ("fetch security.events | fields x = 9223372036854775807 + finding.count | limit 5", "out of range"),
        ("fetch security.events | fields x = finding.count * 4611686018427387904 | limit 30", "out of range"),
    ],
)
def test_engine_errors_are_described_without_their_text(
    store: duckdb.DuckDBPyConnection, dql: str, kind: str
) -> None:
    compiled = compile_query(dql, now=NOW, default_from=NOW - timedelta(days=1))
    with pytest.raises(duckdb.Error) as info:
        store.execute(compiled.sql, list(compiled.params)).fetchall()
    message = user_message(str(info.value))
    assert message.startswith(FAILED) and kind in message
    assert (
        "SELECT" not in message and "$" not in message and "INT64" not in message and "Error" not in message
    )


def test_unknown_engine_errors_say_only_that_it_failed() -> None:
    assert user_message(
        'Binder Error: Referenced column "x" not found in FROM clause! SELECT "x" FROM events'
    ) == (f"{FAILED}.")
