"""The forwarder's view: raw EventBridge events posted to a real server, then read back through the API."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from tests.web.conftest import Server, sample_files
from threatlake.pipeline.mapping import IngestContext, map_bytes


def _expected_ids() -> list[str]:
    ctx = IngestContext(received_at=datetime.now(UTC))
    return [
        event["event.id"] for path in sample_files() for event in map_bytes(path.read_bytes(), ctx).events
    ]


def test_posted_samples_read_back_as_threatlake_map_maps_them(live: Server) -> None:
    files = sample_files()
    halves = files[: len(files) // 2], files[len(files) // 2 :]
    for path in halves[0]:  # one delivery per request, as the forwarder sends a single event
        response = live.ingest(path.read_bytes())
        assert response.status_code == 202, (path.name, response.text)
        assert response.json()["rejected"] == 0
    documents = [orjson.loads(path.read_bytes()) for path in halves[1]]
    for start in range(0, len(documents), 5):  # arrays of deliveries, gzip, as the forwarder batches
        response = live.ingest(documents[start : start + 5], gzipped=True)
        assert response.status_code == 202, response.text
        assert response.json()["rejected"] == 0

    expected = _expected_ids()
    records = live.query("fetch security.events | fields event.id, dt.ingest.connection")["records"]
    assert sorted(record["event.id"] for record in records) == sorted(set(expected))
    assert {record["dt.ingest.connection"] for record in records} == {"default"}


def test_resending_stores_nothing_twice(live: Server) -> None:
    path = sample_files()[0]
    before = live.count()
    first = live.ingest(path.read_bytes()).json()
    again = live.ingest(path.read_bytes()).json()
    assert again["stored"] == 0 and again["duplicates"] == again["events"] == first["events"]
    assert live.count() == before


def test_ndjson_and_custom_endpoint(live: Server) -> None:
    lines = b"\n".join(orjson.dumps(orjson.loads(path.read_bytes())) for path in sample_files()[:3])
    client = live.client(live.admin_token)
    response = client.post(
        "/platform/ingest/v1/events.security",
        content=lines + b"\n{not json}\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["rejected"] == 1 and body["errors"][0]["location"] == "line 4"
    assert "byte" in body["errors"][0]["message"]
    # a custom endpoint needs its own scope
    custom = "/platform/ingest/custom/security.events/my-source"
    assert (
        client.post(custom, content=lines, headers={"Content-Type": "application/x-ndjson"}).status_code
        == 403
    )


def test_one_bad_finding_keeps_its_neighbours(live: Server) -> None:
    good = orjson.loads(sample_files()[1].read_bytes())
    response = live.ingest([good, 42, good])
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert body["errors"][0]["index"] == 1
    all_bad = live.ingest([1, "x", None])
    assert all_bad.status_code == 400
    assert len(all_bad.json()["error"]["details"]["errors"]) == 3
