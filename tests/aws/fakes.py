"""GuardDuty on an in-memory transport: real boto3 clients, no network (moto has no GuardDuty findings).

Like httpx's ``MockTransport``: the client is a real boto3 client (parameter validation, serialization,
response parsing, retries), and a ``before-send`` hook answers each request from memory instead of sending
it. Findings are kept camelCase, as the REST-JSON wire carries them, so what the readers get back is exactly
what boto3 returns: PascalCase keys, datetimes for the timestamp members.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from botocore.awsrequest import AWSResponse

from threatlake.aws.client import RETRIES
from threatlake.model import parse_timestamp

# Connection refused: if the hook ever failed to answer, the request could not leave the machine.
_NOWHERE = "http://127.0.0.1:9"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


@dataclass
class Call:
    region: str
    operation: str
    body: dict[str, Any]


@dataclass
class FakeGuardDuty:
    """Detectors and findings per region; ``calls`` records every request, ``fail`` makes one fail."""

    findings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    fail: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # operation → (status, code, message)
    throttle: dict[str, int] = field(default_factory=dict)  # operation → times to answer 429 first

    def add(self, region: str, findings: list[dict[str, Any]]) -> None:
        self.findings.setdefault(region, []).extend(findings)

    def client(self, region: str) -> Any:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "guardduty",
            region_name=region,
            endpoint_url=_NOWHERE,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries=RETRIES),
        )
        client.meta.events.register("before-send.guardduty", self._answer(region))
        return client

    def operations(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.operation == name]

    def _answer(self, region: str) -> Any:
        def answer(request: Any, event_name: str, **_: Any) -> AWSResponse:
            operation = event_name.rsplit(".", 1)[1]
            body = json.loads(request.body) if request.body else {}
            self.calls.append(Call(region, operation, body))
            if self.throttle.get(operation):
                self.throttle[operation] -= 1
                return _response(request, 429, {"__type": "ThrottlingException", "message": "slow down"})
            if operation in self.fail:
                status, code, message = self.fail[operation]
                return _response(request, status, {"__type": code, "message": message})
            handler = getattr(self, f"_{operation}")
            status, payload = handler(region, urlparse(request.url).path, body)
            return _response(request, status, payload)

        return answer

    def _ListDetectors(self, region: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"detectorIds": [f"detector-{region}"] if region in self.findings else []}

    def _ListFindings(self, region: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        since = body.get("findingCriteria", {}).get("criterion", {}).get("updatedAt", {})
        floor = since.get("greaterThanOrEqual", 0)
        ids = [
            finding["id"]
            for finding in self.findings.get(region, [])
            if _epoch_ms(finding.get("updatedAt")) >= floor
        ]
        start = int(body.get("nextToken") or 0)
        end = start + int(body.get("maxResults") or 50)
        page: dict[str, Any] = {"findingIds": ids[start:end]}
        if end < len(ids):
            page["nextToken"] = str(end)
        return 200, page

    def _GetFindings(self, region: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        wanted = body["findingIds"]
        if len(wanted) > 50:
            return 400, {"__type": "BadRequestException", "message": "at most 50 finding ids"}
        by_id = {finding["id"]: finding for finding in self.findings.get(region, [])}
        return 200, {"findings": [by_id[finding_id] for finding_id in wanted if finding_id in by_id]}


def _response(request: Any, status: int, payload: dict[str, Any]) -> AWSResponse:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": str(payload.get("__type", ""))}
    return AWSResponse(request.url, status, headers, _Body(json.dumps(payload).encode()))


def _epoch_ms(value: Any) -> int:
    moment = parse_timestamp(value)
    return int(moment.timestamp() * 1000) if moment else 0


class RecordedGuardDuty:
    """A tiny stand-in client: answers ListDetectors/ListFindings/GetFindings with given boto3-shaped findings
    (PascalCase, datetimes as ``datetime``), and records every call."""

    def __init__(self, region: str, findings: list[dict[str, Any]], page: int = 50) -> None:
        self.meta = type("Meta", (), {"region_name": region})()
        self._findings = {finding["Id"]: finding for finding in findings}
        self._page = page
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def list_detectors(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ListDetectors", kwargs))
        return {"DetectorIds": ["detector"], "ResponseMetadata": {"HTTPStatusCode": 200}}

    def list_findings(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ListFindings", kwargs))
        ids = list(self._findings)
        start = int(kwargs.get("NextToken") or 0)
        end = start + min(kwargs["MaxResults"], self._page)
        return {"FindingIds": ids[start:end], **({"NextToken": str(end)} if end < len(ids) else {})}

    def get_findings(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetFindings", kwargs))
        return {"Findings": [self._findings[finding_id] for finding_id in kwargs["FindingIds"]]}


def boto3_shaped(finding: dict[str, Any]) -> dict[str, Any]:
    """A PascalCase finding (JSON: times as strings) as boto3 returns it: timestamp members as datetimes."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("guardduty").shape_for("Finding")
    shaped: dict[str, Any] = _shaped(finding, shape)
    return shaped


def _shaped(value: Any, shape: Any) -> Any:
    if shape.type_name == "timestamp" and isinstance(value, str):
        return parse_timestamp(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {key: _shaped(item, members[key]) if key in members else item for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_shaped(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _shaped(item, shape.value) for key, item in value.items()}
    return value
