from __future__ import annotations

import duckdb

from threatlake.model.fields import FIELDS, FieldType
from threatlake.store.duckdb.schema import buckets_ddl, events_ddl
from threatlake.store.schema import COLUMNS, EVENTS, LATEST, SQL_TYPES

DUCKDB_NAMES = {
    FieldType.STRING: "VARCHAR",
    FieldType.LONG: "BIGINT",
    FieldType.DOUBLE: "DOUBLE",
    FieldType.BOOLEAN: "BOOLEAN",
    FieldType.TIMESTAMP: "TIMESTAMP",
    FieldType.STRING_ARRAY: "VARCHAR[]",
}


def test_one_column_per_field_then_extra() -> None:
    assert [col.name for col in COLUMNS] == [*FIELDS, "extra"]
    assert all(SQL_TYPES[FIELDS[col.name].type] == col.sql_type for col in COLUMNS[:-1])


def test_ddl_quotes_dotted_names() -> None:
    sql = events_ddl(EVENTS, unique_id=True).sql(dialect="duckdb")
    assert sql.startswith("CREATE TABLE IF NOT EXISTS events (")
    assert '"event.id" TEXT PRIMARY KEY' in sql
    assert '"actor.ips" TEXT[]' in sql
    assert '"extra" JSON' in sql


def test_created_tables_have_the_contract_types() -> None:
    conn = duckdb.connect()
    for table in (EVENTS, LATEST):
        conn.execute(events_ddl(table, unique_id=table == EVENTS).sql(dialect="duckdb")).fetchall()
        described = {row[0]: row[1] for row in conn.execute(f"DESCRIBE {table}").fetchall()}
        expected = {name: DUCKDB_NAMES[field.type] for name, field in FIELDS.items()}
        assert described == {**expected, "extra": "JSON"}
    conn.execute(buckets_ddl().sql(dialect="duckdb")).fetchall()
    described = {row[0]: row[1] for row in conn.execute("DESCRIBE buckets").fetchall()}
    assert described == {"name": "VARCHAR", "retention_days": "INTEGER", "created": "TIMESTAMP"}
    conn.close()
