"""The hostile queries of the availability audit (issue 9), replayed against the real server process: each
gets a prompt, positioned 400 (or its documented success) while ``/healthz`` stays responsive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import ALL_TIME, EXECUTE, Server, start_server


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a first start: the bundled samples are stored."""
    server = start_server(tmp_path_factory.mktemp("sampled") / "data")
    yield server
    assert server.stop() == 0


def _execute(server: Server, query: str, **options: Any) -> httpx.Response:
    body = {"query": query, **ALL_TIME, **options}
    return server.client(server.admin_token).post(EXECUTE, json=body, timeout=120)


def _healthz_ms(server: Server) -> float:
    """The best of five ``/healthz`` round trips, in ms (the best: a blocked loop delays every one)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def _loop_is_free(server: Server, idle_ms: float) -> bool:
    """``/healthz`` within the issue's 100 ms, or within 4x its idle time on a machine so loaded that idle
    round trips alone come near that (the baseline is measured in the same test)."""
    return _healthz_ms(server) < max(100.0, 4 * idle_ms)


POSITIONED = [
    ("fetch security.events | fieldsAdd x = round(1.5, decimals:1000000000) | limit 1", 1, 50),
    ("fetch security.events | fieldsAdd x = round(1.5, decimals:400) | limit 1", 1, 50),
    ("fetch security.events | fieldsAdd x = round(1.5, decimals:-400) | limit 1", 1, 50),
    ("fetch security.events | fieldsAdd x = timestamp + 100000000d | limit 1", 1, 51),
    ("fetch security.events | fieldsAdd x = substring(finding.title, from:-9999999999) | limit 1", 1, 64),
    ("fetch security.events | fieldsAdd x = actor.ips[9223372036854775807] | limit 1", 1, 49),
    ("fetch security.events, from:-1000000d | limit 1", 1, 30),
    ("fetch security.events\n| filter true /* never closed", 2, 15),
    ("fetch security.events | filter " + "(" * 300 + "true" + ")" * 300, 1, 133),
]


@pytest.mark.parametrize(("query", "line", "column"), POSITIONED)
def test_a_hostile_constant_is_a_prompt_positioned_400(
    sampled: Server, query: str, line: int, column: int
) -> None:
    idle = _healthz_ms(sampled)
    answer: list[httpx.Response] = []
    hostile = threading.Thread(target=lambda: answer.append(_execute(sampled, query)))
    hostile.start()  # /healthz is probed while the hostile query is on its way
    assert _loop_is_free(sampled, idle)
    hostile.join(120)
    response = answer[0]
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["details"]["errorType"] == "QUERY_ERROR"
    assert (error["details"]["line"], error["details"]["column"]) == (line, column)
    assert "Internal" not in error["message"] and "SELECT" not in error["message"].upper()


@pytest.mark.parametrize("expression", ['duration(1e300, unit:"s")', "1e308 * 10", "toDouble(1e308) * 10"])
def test_a_non_finite_number_is_null(sampled: Server, expression: str) -> None:
    response = _execute(sampled, f"fetch security.events | fieldsAdd x = {expression} | fields x | limit 1")
    assert response.status_code == 202, response.text
    assert response.json()["result"]["records"] == [{"x": None}]


def test_a_huge_aggregate_is_bounded_and_the_loop_stays_free(sampled: Server) -> None:
    answer: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answer.append(
            _execute(
                sampled,
                "fetch security.events | summarize a = collectArray(dt.raw_data)",
                maxResultBytes=4096,
            )
        )
    )
    idle = _healthz_ms(sampled)
    thread.start()
    assert _loop_is_free(sampled, idle)
    thread.join(60)
    body = answer[0].json()
    assert answer[0].status_code == 202 and body["state"] == "SUCCEEDED"
    assert len(answer[0].content) < 4096 + 1024
    notes = body["result"]["metadata"]["grail"]["notifications"]
    assert any(note["notificationType"] == "RESULT_TRUNCATED" for note in notes)


def test_heavy_queries_do_not_starve_a_trivial_one(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {"THREATLAKE_FAST_QUERY_SECONDS": "0.2", "THREATLAKE_QUERY_WORKERS": "2"}
    server = start_server(tmp_path_factory.mktemp("lanes") / "data", env=env)
    heavy = (
        "fetch security.events | join [fetch security.events], on:{event.kind} "
        "| join [fetch security.events], on:{event.kind} | summarize n = count()"
    )
    try:
        for _ in range(4):
            running = _execute(server, heavy, requestTimeoutMilliseconds=0)
            assert running.status_code == 202
        time.sleep(0.5)
        quick = _execute(server, "fetch security.events | summarize n = count()")
        assert quick.json()["state"] == "SUCCEEDED"
    finally:
        assert server.stop() == 0


def test_one_thousand_one_hundred_queries_in_a_row_all_succeed(sampled: Server) -> None:
    client = sampled.client(sampled.admin_token)
    body = {"query": "fetch security.events | limit 1", **ALL_TIME}
    states = [client.post(EXECUTE, json=body).json().get("state") for _ in range(1100)]
    assert states.count("SUCCEEDED") == 1100
