"""Read a CloudFormation template and resolve it for given parameter values, as far as the tests need.

The YAML loader accepts the short-form tags (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If``...) and turns them into
their long form. ``resolve`` evaluates conditions, ``Ref`` to parameters, ``Fn::If`` and ``AWS::NoValue``;
every other intrinsic function is left as it is. ``validate`` checks parameter values the way CloudFormation
does before it creates a change set (names, required values, constraints, then the template's Rules).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATES = sorted(DEPLOY.glob("*.yaml"))

_NO_VALUE = object()


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in {"Ref", "Condition"}:
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def load(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text(), Loader=_Loader)  # a SafeLoader subclass
    assert isinstance(document, dict)
    return document


class Stack:
    """A template with parameter values: its conditions evaluated, its resources resolved."""

    def __init__(self, template: dict[str, Any], **overrides: str) -> None:
        self.template = template
        self.parameters = {
            name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()
        }
        unknown = set(overrides) - set(self.parameters)
        assert not unknown, f"no such parameters: {unknown}"
        self.parameters.update(overrides)
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self.conditions[name]

    def rule_failures(self) -> list[str]:
        """The AssertDescription of every template Rule assertion these parameter values break."""
        failures = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                continue
            failures += [a["AssertDescription"] for a in rule["Assertions"] if not self.resolve(a["Assert"])]
        return failures

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """Resolved properties of every resource of ``kind`` whose condition holds."""
        return {
            name: self.resolve(resource.get("Properties", {}))
            for name, resource in self.template["Resources"].items()
            if resource["Type"] == kind
            and ("Condition" not in resource or self.condition(resource["Condition"]))
        }

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in (self.resolve(i) for i in node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(key, value)] = node.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, value)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}


def validate(template: dict[str, Any], overrides: dict[str, str]) -> list[str]:
    """Every problem CloudFormation would report for these parameter values (none: it deploys)."""
    declared = template.get("Parameters", {})
    problems = [
        f"Parameters: [{name}] do not exist in the template" for name in overrides if name not in declared
    ]
    for name, spec in declared.items():
        if name not in overrides and "Default" not in spec:
            problems.append(f"Parameters: [{name}] must have values")
            continue
        value = overrides.get(name, str(spec.get("Default", "")))
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, value):
            problems.append(
                f"Parameter {name} failed to satisfy constraint: {spec.get('ConstraintDescription')}"
            )
        allowed = spec.get("AllowedValues")
        if allowed is not None and value not in map(str, allowed):
            problems.append(f"Parameter {name} must be one of {allowed}")
        if len(value) < spec.get("MinLength", 0):
            problems.append(f"Parameter {name} is shorter than {spec['MinLength']}")
    if problems:
        return problems
    return Stack(template, **overrides).rule_failures()


def _ref(stack: Stack, name: str) -> Any:
    if name == "AWS::NoValue":
        return _NO_VALUE
    return stack.parameters.get(name, {"Ref": name})


def _if(stack: Stack, value: list[Any]) -> Any:
    name, then, otherwise = value
    return stack.resolve(then if stack.condition(name) else otherwise)


_FUNCTIONS: dict[str, Any] = {
    "Ref": _ref,
    "Condition": lambda stack, name: stack.condition(name),
    "Fn::If": _if,
    "Fn::Equals": lambda stack, pair: stack.resolve(pair[0]) == stack.resolve(pair[1]),
    "Fn::Not": lambda stack, items: not stack.resolve(items[0]),
    "Fn::And": lambda stack, items: all(stack.resolve(i) for i in items),
    "Fn::Or": lambda stack, items: any(stack.resolve(i) for i in items),
}
