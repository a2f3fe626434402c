"""The engine on Threatlake's own state and store: two services' hosts on one settings database run a
scheduled slot once (the state's lease and marks), and the new-event hook queues off the writer's thread."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.workflows.conftest import guardduty, ingest
from tests.workflows.documents import COUNT, SCHEDULED
from threatlake.config import Config
from threatlake.state import open_state
from threatlake.store import Store
from threatlake.workflows.document import read_document
from threatlake.workflows.hosting import EventTriggers, WorkflowHost, engine_for


def test_two_hosts_on_one_settings_database_run_a_slot_once(tmp_path: Path, store: Store) -> None:
    first, second = open_state(tmp_path), open_state(tmp_path)
    try:
        saved = datetime.now(UTC) - timedelta(hours=2)
        first.workflows.put_workflow("w", read_document(SCHEDULED).value, saved)
        hosts = [WorkflowHost.for_service(state, store, Config()) for state in (first, second)]

        async def both() -> list[list[str]]:
            started = await asyncio.gather(*(host.scheduler.tick() for host in hosts))
            for host in hosts:
                await asyncio.gather(*host.scheduler.running)
            return list(started)

        started = asyncio.run(both())
        assert sorted(map(len, started)) == [0, 1]  # one holds the lease; the other does nothing
        runs = first.workflows.list_executions("w")
        assert [(r["triggerType"], r["state"]) for r in runs] == [("Schedule", "SUCCESS")]
        assert asyncio.run(both()) == [[], []]  # the slot is claimed: a second tick runs nothing
    finally:
        first.close()
        second.close()


def test_event_triggers_run_on_their_own_thread_once_per_event(tmp_path: Path, store: Store) -> None:
    state = open_state(tmp_path)
    try:
        on_event = COUNT.replace("title: Count", "title: On any event") + (
            "trigger:\n  eventTrigger:\n    isActive: true\n    filterQuery: ''\n"
            "    triggerConfiguration: {type: event, value: {eventType: security.events, query: ''}}\n"
        )
        engine = engine_for(state, store)
        stored, _ = engine.save(on_event)
        hook = EventTriggers(lambda: engine)
        events = ingest(store, guardduty("f-1", "Backdoor", "i-1"), guardduty("f-2", "Trojan", "i-2"))
        hook(events)
        hook(events)  # the same events again (a hook is told each once; twice must not run twice)
        hook.close()
        runs = state.workflows.list_executions(stored.id)
        assert sorted(r["eventContext"]["event.id"] for r in runs) == sorted(e["event.id"] for e in events)
        assert hook.fired == len(events)
    finally:
        state.close()


def test_environment_url_is_the_public_url_when_set(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    try:
        behind = engine_for(state, None, Config(public_url="https://threatlake.example.com"))
        direct = engine_for(state, None, Config(host="10.0.0.5", port=8443))
        assert behind.services.environment_url == "https://threatlake.example.com"
        assert direct.services.environment_url == "http://10.0.0.5:8443"
    finally:
        state.close()
