"""Golden DDL of the ClickHouse store: ``python -m tests.store.regen`` (``make golden``) rewrites it."""

from __future__ import annotations

from pathlib import Path

from threatlake.store.clickhouse.schema import ddl

GOLDEN = Path(__file__).parent / "golden"
DDL = GOLDEN / "clickhouse.sql"


def render() -> str:
    return "".join(f"{statement};\n\n" for statement in ddl("threatlake"))


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    DDL.write_text(render())
    print(f"wrote {DDL}")


if __name__ == "__main__":
    main()
