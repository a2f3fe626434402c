"""The Lambda handler in process: every sample EventBridge event, through the real secret read (moto) and a
real HTTP endpoint (the loopback stub), arrives exactly once and unchanged."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.forwarder.fakes import FakeContext, FakeTime
from tests.forwarder.samples import eventbridge_samples
from tests.forwarder.stub import IngestStub, Reply, serve
from threatlake.forwarder import handler as handler_module
from threatlake.forwarder.config import DEFAULT_SECRET_KEY_NAME, Config
from threatlake.forwarder.errors import EnvelopeError, ForwardError
from threatlake.forwarder.handler import Forwarder, handler
from threatlake.forwarder.secret import TokenCache
from threatlake.forwarder.sender import Sender

SAMPLES = eventbridge_samples()
TOKEN = "tl0c01.handler.token"


@pytest.fixture
def lambda_env(make_secret: Callable[[Any], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestStub]:
    """A fresh Lambda container: environment set as the template sets it, pointing at a loopback stub."""
    arn = make_secret({DEFAULT_SECRET_KEY_NAME: TOKEN})
    with serve() as stub:
        monkeypatch.setenv("INGEST_URL", stub.url)
        monkeypatch.setenv("THREATLAKE_SECRET_ARN", arn)
        monkeypatch.delenv("SECRET_KEY_NAME", raising=False)
        monkeypatch.setattr(handler_module, "_forwarder", None)
        yield stub


def test_samples_are_eventbridge_events_of_every_source() -> None:
    kinds = {(event["source"], event["detail-type"]) for event in SAMPLES.values()}
    assert ("aws.guardduty", "GuardDuty Finding") in kinds
    assert ("aws.securityhub", "Security Hub Findings - Imported") in kinds
    assert len(SAMPLES) >= 20


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_arrives_once(name: str, lambda_env: IngestStub) -> None:
    event = SAMPLES[name]
    result = handler(event, FakeContext(FakeTime(), remaining_seconds=30))
    assert result["events"] == 1 and result["requests"] == 1
    assert lambda_env.accepted_events() == [event]
    assert lambda_env.received[0].headers["Authorization"] == f"Api-Token {TOKEN}"


def test_all_samples_in_one_sqs_batch(lambda_env: IngestStub) -> None:
    events = list(SAMPLES.values())
    batch = {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(e)} for e in events]}
    result = handler(batch, FakeContext(FakeTime()))
    assert result["events"] == len(events)
    assert lambda_env.accepted_events() == events


def test_warm_container_reuses_config_and_token(
    lambda_env: IngestStub, monkeypatch: pytest.MonkeyPatch, aws: Any
) -> None:
    event = next(iter(SAMPLES.values()))
    handler(event, FakeContext(FakeTime()))
    first = handler_module._forwarder
    monkeypatch.setenv("INGEST_URL", "http://127.0.0.1:9/ignored-once-warm")
    new_token = json.dumps({DEFAULT_SECRET_KEY_NAME: "not-read-within-the-ttl"})
    aws.put_secret_value(SecretId=os.environ["THREATLAKE_SECRET_ARN"], SecretString=new_token)
    handler(event, FakeContext(FakeTime()))
    assert handler_module._forwarder is first
    assert len(lambda_env.accepted_events()) == 2
    assert {r.headers["Authorization"] for r in lambda_env.received} == {f"Api-Token {TOKEN}"}


def test_a_payload_that_is_not_an_event_fails_the_invocation(
    lambda_env: IngestStub, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(EnvelopeError):
        handler(["not an event"], FakeContext(FakeTime()))
    assert lambda_env.received == []
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["message"] == "invocation failed" and "EnvelopeError" in line["error"]


def test_nothing_to_forward(lambda_env: IngestStub) -> None:
    assert handler([], FakeContext(FakeTime()))["events"] == 0
    assert lambda_env.received == []


def make_forwarder(url: str, arn: str, time: FakeTime) -> Forwarder:
    config = Config(ingest_url=url, secret_arn=arn, safety_margin_seconds=3.0)
    return Forwarder(
        config=config,
        tokens=TokenCache(arn, config.secret_key_name, config.secret_ttl_seconds, clock=time.clock),
        sender=Sender(
            url=url, sleep=time.sleep, clock=time.clock, wall_clock=time.wall_clock, jitter=lambda: 1.0
        ),
    )


def test_always_503_raises_within_the_remaining_time(make_secret: Callable[[Any], str]) -> None:
    time = FakeTime()
    context = FakeContext(time, remaining_seconds=20)
    with serve(default=Reply(503)) as stub, pytest.raises(ForwardError) as caught:
        make_forwarder(stub.url, make_secret({DEFAULT_SECRET_KEY_NAME: TOKEN}), time)(
            next(iter(SAMPLES.values())), context
        )
    assert caught.value.transient and caught.value.status == 503
    assert len(stub.received) >= 3
    assert context.get_remaining_time_in_millis() >= 3000  # the safety margin is left for Lambda
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]  # the default five attempts, 0.5 × 2ⁿ s apart


def test_401_raises_and_reads_a_rotated_token_next_time(make_secret: Callable[[Any], str], aws: Any) -> None:
    arn = make_secret({DEFAULT_SECRET_KEY_NAME: "revoked"})
    time = FakeTime()
    event = next(iter(SAMPLES.values()))
    with serve(Reply(401)) as stub:
        forwarder = make_forwarder(stub.url, arn, time)
        with pytest.raises(ForwardError, match="HTTP 401"):
            forwarder(event, FakeContext(time))
        aws.put_secret_value(SecretId=arn, SecretString=json.dumps({DEFAULT_SECRET_KEY_NAME: "rotated"}))
        forwarder(event, FakeContext(time))  # Lambda's retry, in the same warm container
    assert [r.headers["Authorization"] for r in stub.received] == ["Api-Token revoked", "Api-Token rotated"]


def test_invocation_is_logged(lambda_env: IngestStub, capsys: pytest.CaptureFixture[str]) -> None:
    handler(next(iter(SAMPLES.values())), FakeContext(FakeTime()))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines] == ["forwarded", "invocation done"]
    assert lines[-1]["request_id"] == "test-request" and lines[-1]["events"] == 1
