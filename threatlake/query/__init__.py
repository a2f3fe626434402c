"""The DQL compiler: tokens → syntax tree → sqlglot expression tree → SQL for the store's dialect.

Pure: never touches disk, network or clock (``now`` is passed in). The caller runs the SQL::

    compiled = compile_query(text, now=now)
    table = store.execute(compiled.sql, compiled.params)
    result = to_result(compiled, table)
"""

from __future__ import annotations

from threatlake.query.compiler import CompiledQuery, compile_query, verify
from threatlake.query.expression import NOW, EventExpressions
from threatlake.query.parser import parse
from threatlake.query.result import to_result

__all__ = ["NOW", "CompiledQuery", "EventExpressions", "compile_query", "parse", "to_result", "verify"]
