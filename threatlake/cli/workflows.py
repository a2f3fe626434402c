"""``threatlake workflows list | import | export | install | run | executions``: workflows from the shell.

Definitions and execution records live in the settings database, which ``threatlake serve`` shares safely,
so every command but ``run`` reads and writes it directly whether or not the service runs. ``run`` needs the
event store: it runs the workflow in this process, or, while a running service holds the store, asks that
service (``POST /platform/automation/v1/workflows/{id}/run``, ``cli/remote.py``) and follows the execution
record.

``import`` and ``install`` print only the new workflow's id on stdout (warnings and unresolved credential
references go to stderr); ``export`` prints the stored document, unknown keys kept; ``run --wait --json``
prints the execution record (``state`` in the platform's vocabulary, each task's state, result and error).
Exit status of ``run``: 0 when the execution succeeded (or was started, without ``--wait`` on a service),
1 when it ended in ``ERROR`` or ``CANCELLED``.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from threatlake.cli.remote import ServiceClient, store_or_service
from threatlake.config import Config, load_config
from threatlake.errors import ConfigError, RequestError, ThreatlakeError
from threatlake.service.resources import open_configured_state, open_configured_store
from threatlake.state import State
from threatlake.workflows import templates
from threatlake.workflows.definition import workflow_object
from threatlake.workflows.document import dump_yaml
from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.hosting import engine_for

__all__ = ["HELP", "RUN_SCOPE", "configure", "run"]

HELP = "list, import, export, install (templates), run workflows and show their executions"
RUN_SCOPE = "automation:workflows:run"
_BASE = "/platform/automation/v1"
_POLL_SECONDS = 0.2


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    common.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list workflows", parents=[common])
    listing.add_argument("--json", action="store_true", help="print JSON")
    imported = actions.add_parser("import", help="store a workflow file (YAML or JSON); prints its id",
                                  parents=[common])  # fmt: skip
    imported.add_argument("file", metavar="FILE", help="the exported workflow or template ('-': stdin)")
    imported.add_argument("--map", metavar="OLD=NEW", action="append", default=[],
                          help="rewrite a credential reference (repeatable)")  # fmt: skip
    exported = actions.add_parser("export", help="print a workflow's document", parents=[common])
    exported.add_argument("workflow", metavar="ID", help="the workflow's id or title")
    exported.add_argument("--format", choices=("json", "yaml"), default="json", help="output format")
    install = actions.add_parser("install", help="install a shipped template; prints the new id",
                                 parents=[common])  # fmt: skip
    install.add_argument(
        "template", metavar="TEMPLATE", nargs="?", help=f"one of {', '.join(templates.TEMPLATES)}"
    )
    install.add_argument("--input", metavar="KEY=VALUE", action="append", default=[],
                         help="set a template input (repeatable)")  # fmt: skip
    install.add_argument("--list", action="store_true", help="list the templates and their inputs")
    running = actions.add_parser("run", help="run a workflow now", parents=[common])
    running.add_argument("workflow", metavar="ID|TITLE", help="the workflow's id or exact title")
    running.add_argument("--wait", action="store_true", help="wait for the execution to end")
    running.add_argument("--json", action="store_true", help="print the execution record as JSON")
    running.add_argument("--timeout", metavar="S", type=float, default=900.0,
                         help="longest --wait follows a run on the service (default 900)")  # fmt: skip
    executions = actions.add_parser(
        "executions", help="a workflow's executions, newest first", parents=[common]
    )
    executions.add_argument("workflow", metavar="ID", help="the workflow's id or title")
    executions.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    executions.add_argument("--json", action="store_true", help="print JSON (with each task)")


def _pairs(items: list[str], option: str) -> dict[str, str]:
    found = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{option} takes KEY=VALUE, got {item!r}")
        found[key] = value
    return found


def _print_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    sys.stdout.flush()


def _trigger_text(document: dict[str, Any]) -> tuple[str, str]:
    trigger = workflow_object(document).get("trigger") or {}
    for kind in ("schedule", "eventTrigger"):
        spec = trigger.get(kind)
        if isinstance(spec, dict):
            return kind.removesuffix("Trigger"), "yes" if spec.get("isActive") else "no"
    return "manual", "-"


def _list(engine: WorkflowEngine, args: argparse.Namespace) -> int:
    rows = []
    for stored, workflow in engine.workflows():
        kind, active = _trigger_text(stored.document)
        last = engine.executions.list_executions(stored.id, limit=1)
        state = last[0]["state"] if last else None
        rows.append({"id": stored.id, "title": workflow.title, "trigger": kind, "active": active,
                     "version": stored.version, "lastExecution": state})  # fmt: skip
    if args.json:
        _print_json(rows)
        return 0
    print("id\ttitle\ttrigger\tactive\tversion\tlast execution")
    for row in rows:
        print(f"{row['id']}\t{row['title']}\t{row['trigger']}\t{row['active']}\t{row['version']}"
              f"\t{row['lastExecution'] or '-'}")  # fmt: skip
    return 0


def _import(engine: WorkflowEngine, args: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    imported = engine.import_document(data, _pairs(args.map, "--map"))
    for warning in imported.workflow.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for reference in imported.unresolved:
        print(f"warning: credential {reference!r} is not defined here (the type's default is used; "
              f"rename it with --map {reference}=NAME)", file=sys.stderr)  # fmt: skip
    print(imported.stored.id)
    return 0


def _export(engine: WorkflowEngine, args: argparse.Namespace) -> int:
    stored, _ = engine.get(args.workflow)
    if args.format == "yaml":
        sys.stdout.write(dump_yaml(stored.document))
    else:
        _print_json(stored.document)
    return 0


def _install(engine: WorkflowEngine, args: argparse.Namespace) -> int:
    if args.list:
        print("template\ttitle\tinputs (defaults)")
        for name in templates.TEMPLATES:
            workflow = templates.load(name)
            inputs = ", ".join(f"{key}={value}" for key, value in workflow.inputs.items()) or "none"
            print(f"{name}\t{workflow.title}\t{inputs}")
        return 0
    if not args.template:
        raise ConfigError(f"name a template ({', '.join(templates.TEMPLATES)}) or use --list")
    stored, _ = engine.install(args.template, _pairs(args.input, "--input"))
    print(stored.id)
    return 0


def _executions(engine: WorkflowEngine, args: argparse.Namespace) -> int:
    records = engine.executions_of(args.workflow, limit=max(1, min(args.limit, 1000)))
    if args.json:
        _print_json(records)
        return 0
    print("id\tstate\ttrigger\tstarted\truntime\terror")
    for record in records:
        runtime = "-" if record["runtime"] is None else record["runtime"]
        print(f"{record['id']}\t{record['state']}\t{record['triggerType']}\t{record['startedAt']}"
              f"\t{runtime}\t{record['stateInfo'] or ''}")  # fmt: skip
    return 0


def _show_execution(record: dict[str, Any], as_json: bool) -> int:
    if as_json:
        _print_json(record)
    else:
        print(f"{record['id']}\t{record['state']}")
        for name, task in record.get("tasks", {}).items():
            print(f"  {name}\t{task['state']}\t{task.get('stateInfo') or ''}".rstrip())
    return 1 if record["state"] in ("ERROR", "CANCELLED") else 0


def _run(config: Config, state: State, args: argparse.Namespace) -> int:
    workflow_id = engine_for(state, None, config).get(args.workflow)[0].id
    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    if isinstance(store, str):
        return _run_on_service(config, state, store, workflow_id, args)
    try:
        record = engine_for(state, store, config).run_sync(workflow_id)
    finally:
        store.close()
    return _show_execution(record, args.json)


def _run_on_service(
    config: Config, state: State, url: str, workflow_id: str, args: argparse.Namespace
) -> int:
    path = f"{_BASE}/workflows/{urllib.parse.quote(workflow_id, safe='')}/run"
    with ServiceClient(
        config.data_dir, url, RUN_SCOPE, timeout=args.timeout, database=config.state
    ) as client:
        status, answer = client.call("POST", path, b"{}")
    if status >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        raise RequestError(str(error.get("message", answer)))
    record: dict[str, Any] = answer
    deadline = time.monotonic() + args.timeout
    while args.wait and record["state"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)  # the record is in the shared settings database
        record = state.workflows.get_execution(record["id"]) or record
    if args.wait and record["state"] == "RUNNING":
        raise ThreatlakeError(f"execution {record['id']} still runs after {args.timeout:g} s")
    if not args.wait and not args.json:
        print(record["id"])
        return 0
    return _show_execution(record, args.json)


_LOCAL: dict[str, Callable[[WorkflowEngine, argparse.Namespace], int]] = {
    "list": _list,
    "import": _import,
    "export": _export,
    "install": _install,
    "executions": _executions,
}


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, state=args.state)
    state = open_configured_state(config)
    try:
        if args.action == "run":
            return _run(config, state, args)
        return _LOCAL[args.action](engine_for(state, None, config), args)
    finally:
        state.close()
