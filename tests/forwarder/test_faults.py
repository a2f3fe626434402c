"""Fault injection: a loopback endpoint that rejects findings inside a 202, refuses chunks (400, 413), answers
with a page that is not an ingest answer, or refuses before reading the body. Every finding ends up stored by
the endpoint or rejected with a reason (which the handler puts on the dead-letter queue), never lost."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from typing import Any

import pytest

from tests.forwarder.fakes import FakeTime, RotatingTokens
from tests.forwarder.samples import guardduty_events, real_findings, securityhub_event
from tests.forwarder.stub import IngestStub, Reply, findings, key, serve
from threatlake.forwarder.errors import ForwardError
from threatlake.forwarder.sender import Sender, Sent

TOKEN = "tl0c01.public.secret"
BAD = "not a finding"  # what the stub (like Threatlake) rejects: a finding that is not an object


def not_an_object(finding: Any) -> str | None:
    return None if isinstance(finding, dict) else f"expected a finding object, got {type(finding).__name__}"


def poison_refused(events: list[Any]) -> tuple[int, str] | None:
    """400 for a whole request that holds a finding marked poison (as a too-deep finding was refused)."""
    poisoned = any(isinstance(f, dict) and "poison" in f for e in events for _, f in findings(e))
    return (400, "JSON nested deeper than 64 levels at offset 0") if poisoned else None


def make_sender(url: str, time: FakeTime, **options: Any) -> Sender:
    return Sender(
        url=url, sleep=time.sleep, clock=time.clock, wall_clock=time.wall_clock, jitter=lambda: 1.0, **options
    )


def send(stub: IngestStub, events: Sequence[Any], **options: Any) -> Sent:
    time = FakeTime()
    return make_sender(stub.url, time, **options).send(events, TOKEN, deadline=time.now + 60)


def assert_accounted(events: Sequence[Any], stub: IngestStub, sent: Sent) -> None:
    """Every finding is stored or rejected with a reason; what the endpoint rejects is never stored."""
    rejected = {key(f) for item in sent.rejected for _, f in findings(item.event)}
    assert all(item.reason and item.code for item in sent.rejected)
    for event in events:
        for where, finding in findings(event):
            assert key(finding) in stub.stored or key(finding) in rejected, f"lost: {where} {finding!r:.80}"
            if stub.reject(finding) is not None or poison_refused([{"detail": finding}]):
                assert key(finding) not in stub.stored


def test_a_finding_rejected_inside_a_202_comes_back_with_its_reason() -> None:
    good = real_findings()[:4]
    event = securityhub_event([good[0], good[1], BAD, good[2], good[3]])
    with serve(reject=not_an_object) as stub:
        sent = send(stub, [event])
    assert len(stub.stored) == 4 and sent.requests == 1
    [item] = sent.rejected
    assert (item.code, item.status) == ("FINDINGS_REJECTED", 202)
    assert "expected a finding object, got str" in item.reason
    # the dead letter holds the envelope with the rejected finding only: a replay re-sends nothing stored
    assert item.event["detail"]["findings"] == [BAD]
    assert item.event["id"] == event["id"] and item.event["detail-type"] == event["detail-type"]
    assert item.errors == (
        {"location": "detail.findings[0]", "message": "expected a finding object, got str"},
    )
    assert event["detail"]["findings"][2] == BAD  # the caller's event is not changed
    assert_accounted([event], stub, sent)


def test_rejections_in_several_events_of_one_request_are_told_apart() -> None:
    good = real_findings()
    events = [
        securityhub_event([BAD, good[0]], "a"),
        *guardduty_events()[:2],
        securityhub_event([good[1], 7, good[2], None], "b"),
    ]
    with serve(reject=not_an_object) as stub:
        sent = send(stub, events)
    assert sent.requests == 1
    assert [(item.event["id"], item.event["detail"]["findings"]) for item in sent.rejected] == [
        ("a", [BAD]),
        ("b", [7, None]),
    ]
    assert [e["location"] for e in sent.rejected[1].errors] == ["detail.findings[0]", "detail.findings[1]"]
    assert sent.rejected[1].errors[0]["message"].endswith("got int")
    assert_accounted(events, stub, sent)


def test_a_202_listing_fewer_errors_than_it_rejected_is_split_until_each_is_named() -> None:
    good = real_findings()
    events = [securityhub_event([good[i], BAD if i % 2 else good[i + 10]], f"e{i}") for i in range(8)]
    with serve(reject=not_an_object, max_errors=1) as stub:
        sent = send(stub, events)
    assert sorted(item.event["id"] for item in sent.rejected) == ["e1", "e3", "e5", "e7"]
    assert all(item.event["detail"]["findings"] == [BAD] for item in sent.rejected)
    assert sent.requests > 1
    assert_accounted(events, stub, sent)


def test_one_event_with_more_rejections_than_listed_is_split_by_its_findings() -> None:
    event = securityhub_event([BAD, 1, 2, *real_findings()[:3]])
    with serve(reject=not_an_object, max_errors=2) as stub:
        sent = send(stub, [event])
    rejected = [f for item in sent.rejected for f in item.event["detail"]["findings"]]
    assert sorted(map(str, rejected)) == sorted(map(str, [BAD, 1, 2]))
    assert len(stub.stored) == 3
    assert_accounted([event], stub, sent)


def test_a_chunk_refused_with_400_is_split_so_its_good_neighbours_land() -> None:
    # the reproducer: one refused chunk used to stop every later chunk (0 of 3 good ones stored)
    events = guardduty_events()[:6]
    poisoned = {**events[1], "detail": {**events[1]["detail"], "poison": True}}
    events[1] = poisoned
    with serve(refuse=poison_refused) as stub:
        sent = send(stub, events, max_bytes=8 * 1024)  # several chunks of a few events
    [item] = sent.rejected
    assert (item.code, item.status, item.event) == ("EVENT_REFUSED", 400, poisoned)
    assert "nested deeper than 64 levels" in item.reason
    assert len(stub.stored) == 5
    assert_accounted(events, stub, sent)


def test_a_refused_finding_inside_a_batched_event_is_isolated_from_its_siblings() -> None:
    good = real_findings()[:4]
    event = securityhub_event([good[0], {"poison": True, "Id": "deep"}, *good[1:]])
    with serve(refuse=poison_refused) as stub:
        sent = send(stub, [event])
    [item] = sent.rejected
    assert item.code == "EVENT_REFUSED" and item.event["detail"]["findings"] == [
        {"poison": True, "Id": "deep"}
    ]
    assert item.event["id"] == event["id"]
    assert len(stub.stored) == 4
    assert_accounted([event], stub, sent)


def test_413_splits_the_chunk_and_a_finding_too_large_alone_is_rejected() -> None:
    def too_large(events: list[Any]) -> tuple[int, str] | None:
        size = len(json.dumps(events))
        return (413, f"body of {size} bytes is over the limit of 20000") if size > 20_000 else None

    events = [*guardduty_events()[:4], {**guardduty_events()[4], "noise": os.urandom(20_000).hex()}]
    with serve(refuse=too_large) as stub:
        sent = send(stub, events)
    [item] = sent.rejected
    assert (item.code, item.status) == ("EVENT_REFUSED", 413) and "over the limit" in item.reason
    assert item.event is events[4]
    assert len(stub.stored) == 4
    assert_accounted(events, stub, sent)


def test_an_event_too_large_to_send_is_rejected_unsent_and_its_neighbours_land() -> None:
    # the reproducer: one oversize event used to fail the whole invocation
    big = {**guardduty_events()[0], "noise": os.urandom(8192).hex()}
    events = [guardduty_events()[1], big, guardduty_events()[2]]
    with serve() as stub:
        sent = send(stub, events, max_bytes=4096)
    [item] = sent.rejected
    assert (item.code, item.status, item.event) == ("EVENT_TOO_LARGE", None, big)
    assert "FORWARD_MAX_BYTES" in item.reason
    assert all(big not in (r.events or []) for r in stub.received)
    assert len(stub.stored) == 2


def test_a_large_batched_event_is_split_by_findings_to_fit() -> None:
    event = securityhub_event(real_findings())  # 20 findings, ~80 KB
    with serve() as stub:
        sent = send(stub, [event], max_bytes=8 * 1024)
    assert sent.rejected == () and sent.requests > 1
    assert len(stub.stored) == 20
    assert all(r.compressed_bytes <= 8 * 1024 for r in stub.received)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"Content-Type": "text/html"}, b"<html><body>Sign in to continue</body></html>"),
        Reply(200, {"Content-Type": "application/json"}, b'{"accepted": 1, "rejected": 0, "errors": []}'),
        Reply(204),
        Reply(202, {"Content-Type": "text/html"}, b"<html>Request queued</html>"),
        Reply(202, {"Content-Type": "application/json"}, b'{"status": "ok"}'),
        Reply(202, {"Content-Type": "application/json"}, b'{"accepted": "1", "rejected": 0}'),
    ],
    ids=["200-html", "200-json", "204", "202-html", "202-other-json", "202-bad-counts"],
)
def test_only_a_genuine_ingest_answer_counts_as_delivered(reply: Reply) -> None:
    events = guardduty_events()[:2]
    with serve(reply) as stub, pytest.raises(ForwardError, match="not an ingest answer") as caught:
        send(stub, events)
    assert caught.value.status == reply.status and not caught.value.transient
    assert len(stub.received) == 1  # the invocation fails: Lambda retries it, then dead-letters it


@pytest.mark.parametrize("megabytes", [1, 4, 16])
def test_a_401_before_the_body_is_read_refreshes_the_token(megabytes: int) -> None:
    # random data in hex compresses to a little over half: about `megabytes` MB go over the wire
    events = [{**guardduty_events()[0], "noise": os.urandom(megabytes * 1024 * 1024).hex()}]
    tokens = RotatingTokens(old="tl0c01.revoked.x", new="tl0c01.rotated.y")
    time = FakeTime()
    sender = make_sender("", time, max_bytes=64 * 1024 * 1024, timeout_seconds=30.0)
    with serve(Reply(401, early=True)) as stub:
        sender.url = stub.url
        sent = sender.send(events, tokens, deadline=time.now + 60)
    assert [r.headers["Authorization"] for r in stub.received] == [
        "Api-Token tl0c01.revoked.x",
        "Api-Token tl0c01.rotated.y",
    ]
    assert stub.received[0].events is None  # the stub never read the first body
    assert stub.received[0].compressed_bytes > megabytes * 1000 * 1000
    assert sent.rejected == () and len(stub.stored) == 1
    assert tokens.invalidated == 1 and time.sleeps == []


def test_an_early_401_with_a_token_that_did_not_change_is_terminal() -> None:
    events = [{**guardduty_events()[0], "noise": os.urandom(2 * 1024 * 1024).hex()}]
    with (
        serve(default=Reply(401, early=True)) as stub,
        pytest.raises(ForwardError, match="HTTP 401") as caught,
    ):
        send(stub, events, max_bytes=64 * 1024 * 1024)
    assert not caught.value.transient
    assert len(stub.received) == 1


def test_an_early_413_is_read_and_the_chunk_split() -> None:
    events = [{**e, "noise": os.urandom(1024 * 1024).hex()} for e in guardduty_events()[:2]]
    with serve(Reply(413, early=True)) as stub:
        sent = send(stub, events, max_bytes=64 * 1024 * 1024)
    assert [r.status or r.reply.status for r in stub.received] == [413, 202, 202]
    assert sent.rejected == () and len(stub.stored) == 2


@pytest.mark.parametrize("seed", range(12))
def test_any_mix_of_faults_loses_nothing(seed: int) -> None:
    """Seeded mixes of good, malformed, refused and oversize findings, short error lists, small requests."""
    chance = random.Random(seed)
    pool = real_findings()
    events: list[Any] = []
    for number in range(chance.randint(1, 8)):
        if chance.random() < 0.3:
            event = dict(chance.choice(guardduty_events()))
            event["id"] = f"gd-{seed}-{number}"
            if chance.random() < 0.2:
                event["detail"] = {**event["detail"], "poison": True}
            events.append(event)
            continue
        findings_of_event: list[Any] = []
        for index in range(chance.randint(1, 6)):
            finding = {**chance.choice(pool), "Id": f"f-{seed}-{number}-{index}"}
            roll = chance.random()
            if roll < 0.15:
                finding = chance.choice([BAD, 3, None, ["list"]])
            elif roll < 0.25:
                finding["poison"] = True
            elif roll < 0.3:
                finding["Note"] = {"Text": os.urandom(6000).hex()}
            findings_of_event.append(finding)
        events.append(securityhub_event(findings_of_event, f"sh-{seed}-{number}"))
    with serve(reject=not_an_object, refuse=poison_refused, max_errors=chance.randint(1, 3)) as stub:
        sent = send(stub, events, max_bytes=chance.choice([4096, 8192, 64 * 1024]))
    assert_accounted(events, stub, sent)
