"""The PostgreSQL backend on a real server: setting, errors, placeholders, a lost connection, the write
lock across connections, and what a shared database keeps that SQLite keeps in files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from tests.state.conftest import NOW, database_url
from tests.state.postgres import PASSWORD, shared_server
from threatlake.errors import ConfigError, ConflictError, StoreError
from threatlake.state import open_state
from threatlake.state.postgresql import PostgresDatabase, redacted

TTL = timedelta(seconds=30)


@pytest.fixture
def url() -> str:
    return database_url("postgresql")


def test_an_unknown_state_backend_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown state database 'mysql'.*postgresql://"):
        open_state(tmp_path, database="mysql://h/db")


def test_a_wrong_password_is_refused_without_showing_it(tmp_path: Path, url: str) -> None:
    wrong = url.replace(PASSWORD, "not-the-password")
    with pytest.raises(StoreError) as caught:
        open_state(tmp_path, database=wrong)
    assert caught.value.retryable and "not-the-password" not in str(caught.value)
    assert "threatlake:***@127.0.0.1" in str(caught.value)
    assert redacted("postgresql://h:5432/db") == "postgresql://h:5432/db"


def test_placeholders_skip_literals_and_percent_signs(url: str) -> None:
    db = PostgresDatabase(url)
    try:
        db.create("create table t (a text, b blob);")
        db.execute("insert into t (a, b) values (?, ?)", ("50% off?", b"\x00\xff"))
        rows = db.execute("select a, b, 'what?' from t where a like '%off%' and a = ?", ("50% off?",))
        assert rows == [("50% off?", b"\x00\xff", "what?")]
        assert db.add_columns("t", {"c": "integer"}) == ["c"] and db.add_columns("t", {"c": "integer"}) == []
    finally:
        db.close()


def test_text_sorts_byte_wise_as_on_sqlite(tmp_path: Path, url: str) -> None:
    state = open_state(tmp_path, database=url)
    try:
        for name in ("b-one", "B-two", "a_three", "A-four"):
            state.connections.ensure(name, now=NOW)
        assert [c.name for c in state.connections.list()] == ["A-four", "B-two", "a_three", "b-one"]
    finally:
        state.close()


def test_a_constraint_is_a_conflict(tmp_path: Path, url: str) -> None:
    state = open_state(tmp_path, database=url)
    try:
        with pytest.raises(ConflictError, match="foreign key"):
            state.tokens.create(["settings:read"], now=NOW, connection="no-such-connection")
    finally:
        state.close()


def test_a_lost_connection_is_opened_again(tmp_path: Path, url: str) -> None:
    state = open_state(tmp_path, database=url)
    try:
        state.connections.ensure("before", now=NOW)
        database = url.rsplit("/", 1)[1]
        shared_server().psql(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            f" where datname = '{database}' and pid <> pg_backend_pid()"
        )
        with pytest.raises(StoreError) as caught:  # the statement that finds it lost fails, retryable
            state.connections.ensure("lost", now=NOW)
        assert caught.value.retryable
        state.connections.ensure("after", now=NOW)  # the next one reconnects
        assert [c.name for c in state.connections.list()] == ["after", "before"]
    finally:
        state.close()


def test_a_writer_waits_for_another_nodes_transaction_then_fails_retryable(tmp_path: Path, url: str) -> None:
    holder, waiter = open_state(tmp_path, database=url), open_state(tmp_path, database=url, busy_seconds=0.3)
    try:
        with holder.transaction():
            holder.connections.ensure("held", now=NOW)
            with pytest.raises(StoreError, match="busy") as caught:
                waiter.leases.acquire("scheduler", "waiter", TTL, NOW)
            assert caught.value.retryable
            assert waiter.connections.list() == []  # uncommitted work is not seen
        assert [c.name for c in waiter.connections.list()] == ["held"]
    finally:
        holder.close()
        waiter.close()


def test_pipelines_and_credentials_are_shared_by_every_node(tmp_path: Path, url: str) -> None:
    key = "S2V5LW9mLXRoZS10ZXN0cy0zMi1ieXRlcy1sb25nISE="
    one = open_state(tmp_path / "one", database=url, credentials_key=key)
    two = open_state(tmp_path / "two", database=url, credentials_key=key)
    try:
        assert one.pipelines.put("drop-low", "name: drop-low\n") and not one.pipelines.put("drop-low", "x\n")
        assert two.pipelines.list() == [("drop-low", "x\n")] and not (tmp_path / "one" / "pipelines").exists()
        one.credentials.create("chat", "msteams", {"webhookUrl": "https://example.test/hook"}, now=NOW)
        assert two.credentials.decrypt("chat") == {"webhookUrl": "https://example.test/hook"}
        assert two.pipelines.delete("drop-low") and one.pipelines.get("drop-low") is None
    finally:
        one.close()
        two.close()


def test_a_shared_database_needs_the_credentials_key(tmp_path: Path, url: str) -> None:
    state = open_state(tmp_path, database=url)
    try:
        with pytest.raises(ConfigError, match="credentials_key"):
            state.credentials.create("chat", "msteams", {"webhookUrl": "https://example.test/h"}, now=NOW)
        assert not (tmp_path / "credentials.key").exists()
    finally:
        state.close()


def test_the_first_open_makes_the_tables(tmp_path: Path, url: str) -> None:
    first = open_state(tmp_path, database=url)
    second = open_state(tmp_path, database=url)
    try:
        assert first.created and not second.created
        with psycopg.connect(url) as conn:
            tables = {
                row[0] for row in conn.execute("select tablename from pg_tables where schemaname = 'public'")
            }
        assert {"tokens", "users", "sessions", "leases", "workflows", "pipelines", "triage"} <= tables
    finally:
        first.close()
        second.close()
