from __future__ import annotations

import argparse
import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.aws.environment import (  # fixtures, used by name
    asff_findings,
    aws_env,
    fake_guardduty,
    hub,
    import_findings,
)
from tests.aws.fakes import FakeGuardDuty
from tests.web.conftest import start_server
from threatlake.cli import backfill, main
from threatlake.cli.progress import Progress
from threatlake.pipeline.mapping import IngestContext, map_documents
from threatlake.sources import Finding
from threatlake.sources.envelope import unwrap
from threatlake.state import open_state
from threatlake.store.duckdb import DuckDBStore

__all__ = ["aws_env", "fake_guardduty", "hub"]  # fixtures; moto_endpoint comes from tests/conftest.py

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "findings"
RECEIVED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
Hub = Callable[..., Any]


@pytest.fixture(autouse=True)
def _fixed_receive_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backfill, "received_at", lambda: RECEIVED_AT)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["backfill", *args])
    captured = capsys.readouterr()
    return code, orjson.loads(captured.out), captured.err


def _count(data_dir: Path, where: str = "") -> int:
    with DuckDBStore.in_dir(data_dir) as store:
        return int(store.execute(f"SELECT count(*) AS n FROM events {where}").to_pylist()[0]["n"])


def _expected_events(findings: list[dict[str, Any]]) -> int:
    return len(map_documents(findings, IngestContext(received_at=RECEIVED_AT)).events)


def _camel_guardduty() -> list[dict[str, Any]]:
    findings = []
    for path in sorted((FIXTURES / "guardduty").glob("own-*.json")):
        findings += [i.raw for i in unwrap(orjson.loads(path.read_bytes())) if isinstance(i, Finding)]
    return findings


def test_securityhub_end_to_end_over_two_regions(
    hub: Hub, moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = asff_findings()
    import_findings(hub("us-east-1"), findings[:30])
    import_findings(hub("eu-west-1"), findings[30:])
    args = ["securityhub", "--data-dir", str(tmp_path), "--endpoint-url", moto_endpoint]
    code, summary, err = _run(capsys, *args, "--region", "us-east-1", "eu-west-1")
    expected = _expected_events(findings)
    assert code == 0
    assert summary == {
        "received": len(findings),
        "stored": expected,
        "duplicates": 0,
        "rejected": 0,
        "errors": [],
        "warnings": [
            "GetFindingsV2 not available in us-east-1: 404: 404 Not Found",
            "GetFindingsV2 not available in eu-west-1: 404: 404 Not Found",
        ],
        "aborted": None,
    }
    assert "backfill securityhub us-east-1: 30 findings fetched" in err
    assert f"backfill securityhub eu-west-1: {len(findings) - 30} findings fetched" in err
    assert "\r" not in err  # not a terminal: plain lines
    assert "Reading Security Hub findings (GetFindings) in us-east-1 …" in err
    assert _count(tmp_path) == expected
    where = (
        "WHERE \"dt.openpipeline.source\" = 'backfill:securityhub' AND \"dt.ingest.connection\" = 'backfill'"
    )
    assert _count(tmp_path, where) == expected

    code, query = (
        main(
            [
                "query",
                "--data-dir",
                str(tmp_path),
                "--from=-3650d",
                "--format",
                "json",
                "fetch security.events | summarize n = count()",
            ]
        ),
        capsys.readouterr(),
    )
    assert code == 0
    assert [int(r["n"]) for r in orjson.loads(query.out)["records"]] == [expected]  # a long is a string

    code, again, _ = _run(capsys, *args, "--region", "us-east-1", "--region", "eu-west-1")
    assert (code, again["stored"], again["duplicates"]) == (0, 0, expected)


def test_securityhub_since(
    hub: Hub, moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = asff_findings()
    import_findings(hub(), findings)
    args = [
        "securityhub",
        "--data-dir",
        str(tmp_path),
        "--endpoint-url",
        moto_endpoint,
        "--region",
        "us-east-1",
    ]
    code, summary, _ = _run(capsys, *args, "--since", "2021-01-01T00:00:00Z")
    newer = [f for f in findings if f["UpdatedAt"] >= "2021-01-01"]
    assert (code, summary["received"], summary["stored"]) == (0, len(newer), _expected_events(newer))


def test_securityhub_access_denied_stops_with_exit_2(
    hub: Hub,
    moto_endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from moto import settings

    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint)
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # moto checks IAM from now on
    args = [
        "securityhub",
        "--data-dir",
        str(tmp_path),
        "--endpoint-url",
        moto_endpoint,
        "--region",
        "us-east-1",
    ]
    code, summary, err = _run(capsys, *args)
    assert code == 2
    message = (
        "GetFindings in us-east-1: AccessDenied: User: arn:aws:iam::123456789012:user/nobody is not "
        "authorized to perform: securityhub:GetFindings"
    )
    assert summary["aborted"] == message
    assert f"threatlake backfill: {message} (what was fetched before is stored)" in err


def test_no_credentials_is_one_line_and_exit_2(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, summary, _ = _run(
        capsys,
        "guardduty",
        "--data-dir",
        str(tmp_path),
        "--region",
        "eu-central-1",
        "--endpoint-url",
        "http://127.0.0.1:9",
    )
    assert code == 2
    assert summary["aborted"] == (
        "ListDetectors in eu-central-1: no AWS credentials found (environment, --profile, shared config or "
        "instance role)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "us-nowhere-1"], "--region us-nowhere-1: not a region where guardduty is offered"),
        (["--since", "yesterday"], "not a time: 'yesterday'"),
        (["--profile", "absent"], "--profile: The config profile (absent) could not be found"),
    ],
)
def test_usage_errors_exit_2(
    aws_env: None, args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backfill", "guardduty", "--data-dir", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err


def _guardduty_through(monkeypatch: pytest.MonkeyPatch, fake: FakeGuardDuty) -> None:
    def connect_client(service: str, region: str, args: argparse.Namespace) -> Any:
        assert service == "guardduty"
        return fake.client(region)

    monkeypatch.setattr(backfill, "connect_client", connect_client)


def test_guardduty_end_to_end(
    aws_env: None,
    fake_guardduty: FakeGuardDuty,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    findings = _camel_guardduty()
    fake_guardduty.add("us-east-1", findings[:10])
    fake_guardduty.add("us-west-2", findings[10:])
    _guardduty_through(monkeypatch, fake_guardduty)
    code, summary, err = _run(
        capsys, "amazon-guardduty", "--data-dir", str(tmp_path), "--region", "us-east-1", "us-west-2"
    )  # the integration's name, as ``connection create`` takes it ("guardduty" below: its alias)
    expected = _expected_events(findings)
    assert (code, summary["received"], summary["stored"], summary["aborted"]) == (
        0,
        len(findings),
        expected,
        None,
    )
    assert _count(tmp_path, "WHERE \"dt.openpipeline.source\" = 'backfill:guardduty'") == expected
    assert "backfill guardduty us-west-2:" in err

    since_args = [
        "guardduty",
        "--data-dir",
        str(tmp_path / "since"),
        "--region",
        "us-east-1",
        "--since",
        "7d",
    ]
    code, summary, _ = _run(capsys, *since_args)
    floor = int(datetime(2025, 12, 26, 3, 4, 5, tzinfo=UTC).timestamp() * 1000)
    criteria = fake_guardduty.operations("ListFindings")[-1].body["findingCriteria"]
    ceiling = int(RECEIVED_AT.timestamp() * 1000)
    assert criteria == {"criterion": {"updatedAt": {"greaterThanOrEqual": floor, "lessThanOrEqual": ceiling}}}
    assert code == 0


def test_an_error_keeps_what_was_stored(
    aws_env: None,
    fake_guardduty: FakeGuardDuty,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    findings = _camel_guardduty()
    fake_guardduty.add("us-east-1", findings[:10])
    fake_guardduty.add("us-west-2", findings[10:])
    _guardduty_through(monkeypatch, fake_guardduty)
    original = fake_guardduty._GetFindings

    def deny_in_oregon(region: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if region == "us-west-2":
            return 403, {"__type": "AccessDeniedException", "message": "no guardduty:GetFindings"}
        return original(region, path, body)

    monkeypatch.setattr(fake_guardduty, "_GetFindings", deny_in_oregon)
    code, summary, _ = _run(
        capsys, "guardduty", "--data-dir", str(tmp_path), "--region", "us-east-1", "us-west-2"
    )
    stored = _expected_events(findings[:10])
    assert code == 2
    assert (summary["received"], summary["stored"]) == (10, stored)
    assert summary["aborted"] == "GetFindings in us-west-2: AccessDeniedException: no guardduty:GetFindings"
    assert _count(tmp_path) == stored


def test_a_terminal_gets_a_progress_bar(
    hub: Hub, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """On a terminal the run is drawn by rich (escape codes, redrawn in place), with what it read."""
    import_findings(hub("us-east-1"), asff_findings()[:5])
    monkeypatch.setattr(backfill, "Progress", lambda stream: Progress(stream, terminal=True))
    args = ["securityhub", "--data-dir", str(tmp_path), "--endpoint-url", moto_endpoint]
    code, summary, err = _run(capsys, *args, "--region", "us-east-1")
    assert code == 0 and summary["received"] == 5
    assert "\x1b[" in err and "\r" in err  # drawn, not lines
    assert "backfill securityhub us-east-1" in err and "5 findings fetched" in err


def test_ingest_reads_a_guardduty_s3_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GuardDuty exports to S3 as gzip-compressed NDJSON: one camelCase finding per line.
    findings = _camel_guardduty()
    export = tmp_path / "export" / "123456789012" / "us-east-1" / "findings.jsonl.gz"
    export.parent.mkdir(parents=True)
    export.write_bytes(gzip.compress(b"".join(orjson.dumps(f) + b"\n" for f in findings)))
    data_dir = tmp_path / "data"
    code = main(["ingest", "--data-dir", str(data_dir), str(export)])
    summary = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert (summary["received"], summary["rejected"]) == (len(findings), 0)
    assert (
        summary["stored"]
        == _count(data_dir)
        == len(
            {e["event.id"] for e in map_documents(findings, IngestContext(received_at=RECEIVED_AT)).events}
        )
    )
    code = main(["ingest", "--data-dir", str(data_dir), str(tmp_path / "export")])  # as a directory
    assert (code, orjson.loads(capsys.readouterr().out)["stored"]) == (0, 0)


def test_the_integrations_are_those_of_connections() -> None:
    from threatlake.state.connections import INTEGRATIONS

    assert set(backfill.READERS) == set(INTEGRATIONS)
    assert set(backfill.ALIASES.values()) == set(INTEGRATIONS)


def test_guardduty_through_the_running_service(
    aws_env: None,
    fake_guardduty: FakeGuardDuty,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    findings = _camel_guardduty()
    fake_guardduty.add("us-east-1", findings)
    _guardduty_through(monkeypatch, fake_guardduty)
    monkeypatch.setattr(backfill._Service, "RENEW_SECONDS", 0.0)  # a fresh token for every page
    data = tmp_path / "data"
    server = start_server(data, "--no-samples")
    try:
        args = ["guardduty", "--data-dir", str(data), "--region", "us-east-1"]
        code, summary, err = _run(capsys, *args)
        expected = _expected_events(findings)
        assert (code, summary["received"], summary["stored"], summary["aborted"]) == (
            0,
            len(findings),
            expected,
            None,
        )
        assert "Could not set lock" not in err
        assert f"backfill guardduty us-east-1: {len(findings)} findings fetched" in err
        stored = server.query(
            'fetch security.events | filter dt.ingest.connection == "backfill" | summarize n = count()'
        )
        assert int(stored["records"][0]["n"]) == expected
        code, again, _ = _run(capsys, *args)
        assert (code, again["stored"], again["duplicates"]) == (0, 0, expected)
    finally:
        assert server.stop() == 0
    state = open_state(data)
    try:
        temporary = [token for token in state.tokens.list() if token.connection == "backfill"]
    finally:
        state.close()
    assert temporary and all(token.revoked for token in temporary)  # each page's token, revoked after
