"""Expressions: every string in a task's ``input`` (and ``custom``, ``withItems``) is a sandboxed Jinja2
template.

The environment is Jinja2's ``ImmutableSandboxedEnvironment`` (no attribute tricks, no mutation of data) with
the platform's functions (``result``, ``event``, ``execution``, ``task``, ``now``, ``environment``, ``input``)
and filters (``to_json``, ``from_json`` and Jinja's own). A template that is one ``{{ expression }}`` yields
the expression's value (a list stays a list); anything else renders to text. Each string of the *definition*
is rendered once and the values it pulls in are data: a finding title containing ``{{ 7*7 }}`` renders
literally.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import orjson
from jinja2 import ChainableUndefined, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from threatlake.workflows.errors import ActionError

__all__ = ["Scope", "is_true", "jsonable", "render", "render_value"]

_WHOLE = re.compile(r"\A\s*\{\{(.*)\}\}\s*\Z", re.DOTALL)
_MAX_OUTPUT = 5_000_000
_RANGE = 10_000


def _range(*args: int) -> range:
    """Jinja's ``range``, bounded more tightly than the sandbox's default (100,000 items)."""
    bounded = range(*args)
    if len(bounded) > _RANGE:
        raise SecurityError(f"range over {_RANGE} items")
    return bounded


def _to_json(value: Any, indent: int | None = None) -> str:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(jsonable(value), option=option | orjson.OPT_NON_STR_KEYS).decode()


def _from_json(text: Any) -> Any:
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError) as error:
        raise ActionError(f"from_json: not JSON ({error})") from None


_ENV = ImmutableSandboxedEnvironment(
    undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=True
)
_ENV.filters["to_json"] = _to_json
_ENV.filters["from_json"] = _from_json
_ENV.globals["range"] = _range
_ENV.globals.pop("lipsum", None)
_ENV.globals.pop("cycler", None)
_ENV.globals.pop("joiner", None)


class Scope:
    """What a template can see: the functions of one execution, and the current task and loop item."""

    def __init__(
        self,
        *,
        results: Mapping[str, Any],
        execution: Mapping[str, Any],
        event: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        environment: Mapping[str, Any] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.results = results
        self.execution = execution
        self.event = event or {}
        self.inputs = inputs or {}
        self.environment = environment or {}
        self.now = now
        self.functions = dict(functions or {})

    def variables(self, task: str = "", item: tuple[str, Any] | None = None) -> dict[str, Any]:
        loop: dict[str, Any] = {item[0]: item[1]} if item else {}
        names: dict[str, Any] = {
            "result": self.results.get,
            "event": lambda: self.event,
            "execution": lambda: self.execution,
            "task": lambda: {"name": task, "id": f"{self.execution.get('id', '')}/{task}"},
            "now": self.now,
            "environment": lambda: self.environment,
            "input": lambda: self.inputs,
            "_": loop,
            **self.functions,
        }
        return {**loop, **names}


def render(template: str, variables: dict[str, Any]) -> Any:
    """The value of one template string: the expression's value for ``{{ x }}`` alone, else the text."""
    if "{{" not in template and "{%" not in template and "{#" not in template:
        return template
    try:
        whole = _WHOLE.match(template)
        if whole and _single_expression(template):
            value = _ENV.compile_expression(whole.group(1), undefined_to_none=True)(**variables)
            return value
        text = _ENV.from_string(template).render(**variables)
    except ActionError:
        raise
    except SecurityError as error:
        raise ActionError(f"expression refused by the sandbox: {error}") from None
    except TemplateError as error:
        raise ActionError(f"expression {template[:200]!r}: {error}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as error:
        raise ActionError(f"expression {template[:200]!r}: {type(error).__name__}: {error}") from None
    if len(text) > _MAX_OUTPUT:
        raise ActionError(f"expression renders to more than {_MAX_OUTPUT} characters")
    return text


def _single_expression(template: str) -> bool:
    """True when the template is exactly one ``{{ ... }}`` output (``{{ a }} {{ b }}`` is text)."""
    try:
        body = _ENV.parse(template.strip()).body
    except TemplateError:
        return False
    return len(body) == 1 and isinstance(body[0], nodes.Output) and len(body[0].nodes) == 1


def render_value(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with every string in it rendered once (dict keys stay as written)."""
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, dict):
        return {key: render_value(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    return value


def is_true(value: Any) -> bool:
    """A rendered condition's truth: text ``false``/``0``/empty is false, like the product's conditions."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "none", "null")
    return bool(value)


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (timestamps as ISO text, undefined as null)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, ChainableUndefined):
        return None
    return str(value)
