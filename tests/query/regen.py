"""Regenerate the compiler's golden files: ``python -m tests.query.regen`` (review the diff, then commit)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from tests.query.cases import COMMAND_CASES, FUNCTION_CASES, SYNTAX_CASES
from threatlake.query import compile_query

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 1, 1, 12, 0, 0)
TABLES = {"commands": COMMAND_CASES, "functions": FUNCTION_CASES, "syntax": SYNTAX_CASES}
#: Each dialect's golden files: ``commands.sql`` (DuckDB, the reference) and ``commands.clickhouse.sql``.
DIALECTS = {"duckdb": "", "clickhouse": ".clickhouse"}


def golden_path(table: str, dialect: str = "duckdb") -> Path:
    return GOLDEN / f"{table}{DIALECTS[dialect]}.sql"


def compiled(text: str, dialect: str = "duckdb") -> tuple[str, str]:
    """(SQL, params as JSON) for one case, over the last day, as the golden files hold them."""
    query = compile_query(text, now=NOW, default_from=NOW - timedelta(days=1), dialect=dialect)
    return query.sql, json.dumps(list(query.params), default=str)


def render(cases: dict[str, str], dialect: str = "duckdb") -> str:
    blocks = []
    for name, text in cases.items():
        sql, params = compiled(text, dialect)
        dql = "\n".join(f"-- | {line}" for line in text.splitlines())
        blocks.append(f"-- {name}\n{dql}\n{sql};\n-- params: {params}\n")
    return "\n".join(blocks)


def read(path: Path) -> dict[str, tuple[str, str]]:
    """name → (SQL, params JSON) from one golden file."""
    out: dict[str, tuple[str, str]] = {}
    for block in path.read_text().strip().split("\n\n"):
        lines = block.splitlines()
        name = lines[0].removeprefix("-- ")
        body = [line for line in lines[1:] if not line.startswith("-- | ")]
        out[name] = (body[0].removesuffix(";"), body[1].removeprefix("-- params: "))
    return out


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, cases in TABLES.items():
        for dialect in DIALECTS:
            path = golden_path(name, dialect)
            path.write_text(render(cases, dialect))
            print(f"wrote {path} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
