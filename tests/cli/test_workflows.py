"""``threatlake workflows ...`` and ``threatlake credentials ...`` without a running service."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tests import golden
from tests.workflows.documents import COUNT, COUNT_AND_NOTIFY, ON_EVENT
from threatlake.cli import main
from threatlake.state import open_state
from threatlake.workflows import templates

FILES = sorted((golden.FIXTURES / "findings" / "guardduty").glob("own-*.json"))[:3]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_credentials_create_list_delete_never_show_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    jira = ["--url", "https://jira.example.com", "--user", "sec@example.com", "--token", "JIRA-SECRET"]
    assert cli(capsys, "credentials", "create", "jira", "jira-a", *jira, *data)[1] == "jira-a\n"
    assert cli(capsys, "credentials", "create", "jira", "jira-b", *jira, "--default", *data)[0] == 0
    assert cli(capsys, "credentials", "create", "slack", "bot", "--bot-token", "xoxb-SECRET", *data)[0] == 0
    assert cli(capsys, "credentials", "create", "http", "hook", "--secret", "HMAC-SECRET", *data)[0] == 0
    smtp = ["--host", "127.0.0.1", "--port", "2525", "--from", "tl@example.com", "--tls"]
    assert cli(capsys, "credentials", "create", "smtp", "mail", *smtp, *data)[0] == 0
    code, _, err = cli(capsys, "credentials", "create", "slack", "neither", *data)
    assert code == 2 and "one of --webhook-url" in err
    code, _, err = cli(capsys, "credentials", "create", "jira", "jira-a", *jira, *data)
    assert code == 2 and "exists" in err

    code, out, _ = cli(capsys, "credentials", "list", *data)
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()[1:]}
    assert set(rows) == {"jira-a", "jira-b", "bot", "hook", "mail"}
    assert (rows["jira-a"][2], rows["jira-b"][2]) == ("-", "yes")
    assert "SECRET" not in out
    state = open_state(tmp_path)
    try:
        assert state.credentials.decrypt("mail")["tls"] == "tls"
        assert state.credentials.decrypt("bot") == {"token": "xoxb-SECRET"}
        assert b"SECRET" not in (tmp_path / "settings.sqlite").read_bytes()  # encrypted at rest
    finally:
        state.close()
    assert cli(capsys, "credentials", "delete", "hook", *data)[0] == 0
    assert "hook" not in cli(capsys, "credentials", "list", *data)[1]


def test_import_export_list_and_run_locally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["ingest", *data, *map(str, FILES)]) == 0
    stored = orjson.loads(capsys.readouterr().out)["stored"]
    webhook = ["--webhook-url", "http://127.0.0.1:9/never"]
    assert cli(capsys, "credentials", "create", "slack", "chat", *webhook, *data)[0] == 0
    source = tmp_path / "count.yaml"
    source.write_text(COUNT_AND_NOTIFY)

    code, out, err = cli(capsys, "workflows", "import", str(source), *data)
    assert code == 0 and "'chat-old' is not defined" in err
    code, out, err = cli(capsys, "workflows", "import", str(source), "--map", "chat-old=chat", *data)
    workflow_id = out.strip()
    assert code == 0 and len(out.splitlines()) == 1 and "chat-old" not in err
    exported = json.loads(cli(capsys, "workflows", "export", workflow_id, *data)[1])
    assert exported["tasks"]["notify"]["input"]["connection"] == "chat"
    assert exported["trigger"] == {}  # kept as written
    code, out, _ = cli(capsys, "workflows", "list", "--json", *data)
    assert [row["title"] for row in json.loads(out)] == ["Count", "Count"]

    # the Slack webhook refuses (nothing listens on port 9): the run fails with the error visible
    code, out, _ = cli(capsys, "workflows", "run", workflow_id, "--wait", "--json", *data)
    record = orjson.loads(out)
    assert code == 1 and record["state"] == "ERROR"
    assert record["tasks"]["count"]["state"] == "SUCCESS"
    assert record["tasks"]["count"]["result"]["records"][0]["n"] == str(stored)
    assert record["tasks"]["notify"]["state"] == "ERROR" and record["tasks"]["notify"]["stateInfo"]
    code, out, _ = cli(capsys, "workflows", "executions", workflow_id, *data)
    assert code == 0 and out.splitlines()[1].split("\t")[:3] == [record["id"], "ERROR", "Manual"]


def test_run_by_title_and_ambiguous_titles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    source = tmp_path / "one.yaml"
    source.write_text(COUNT.replace("title: Count", "title: Only me"))
    cli(capsys, "workflows", "import", str(source), *data)
    code, out, _ = cli(capsys, "workflows", "run", "Only me", *data)
    assert code == 0 and out.split()[1] == "SUCCESS"
    cli(capsys, "workflows", "import", str(source), *data)
    code, _, err = cli(capsys, "workflows", "run", "Only me", *data)
    assert code == 2 and "use the id" in err
    code, _, err = cli(capsys, "workflows", "export", "nothing-like-it", *data)
    assert code == 2 and "no workflow" in err


def test_install_templates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    code, out, _ = cli(capsys, "workflows", "install", "--list", *data)
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()[1:]] == list(templates.TEMPLATES)
    code, out, _ = cli(
        capsys, "workflows", "install", "critical-detections-jira", "--input", "project=OPS", *data
    )
    workflow_id = out.strip()
    assert code == 0 and len(out.splitlines()) == 1
    document = json.loads(cli(capsys, "workflows", "export", workflow_id, *data)[1])
    assert document["workflow"]["input"]["project"] == "OPS"
    assert document["workflow"]["trigger"]["schedule"]["isActive"] is True
    code, _, err = cli(capsys, "workflows", "install", "critical-detections-jira", "--input", "nope=1", *data)
    assert code == 2 and "no input 'nope'" in err
    code, _, err = cli(capsys, "workflows", "install", "no-such-template", *data)
    assert code == 2 and "no template" in err


def test_threatlake_ingest_fires_event_triggers_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    source = tmp_path / "on-event.yaml"
    source.write_text(ON_EVENT)
    workflow_id = cli(capsys, "workflows", "import", str(source), *data)[1].strip()
    assert main(["ingest", *data, *map(str, FILES)]) == 0
    stored = orjson.loads(capsys.readouterr().out)["stored"]
    assert main(["query", *data, "--format", "ndjson", "fetch security.events, from:-36500d"
                 ' | filter event.type == "DETECTION_FINDING" | fields event.id']) == 0  # fmt: skip
    detections = {orjson.loads(line)["event.id"] for line in capsys.readouterr().out.splitlines()}
    assert 0 < len(detections) <= stored

    def triggered() -> list[str]:
        assert main(["workflows", "executions", workflow_id, "--json", "--limit", "1000", *data]) == 0
        records = orjson.loads(capsys.readouterr().out)
        assert {(r["triggerType"], r["state"]) for r in records} <= {("Event", "SUCCESS")}
        return [r["eventContext"]["event.id"] for r in records]

    assert sorted(triggered()) == sorted(detections)  # the command waited for them
    assert main(["ingest", *data, *map(str, FILES)]) == 0  # the same findings again: no new events
    capsys.readouterr()
    assert sorted(triggered()) == sorted(detections)
