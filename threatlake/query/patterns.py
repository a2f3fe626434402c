"""The ``parse`` command's pattern language (a subset of the platform's DPL): text → ``Pattern``.

A pattern is a sequence of matchers and quoted literals, read left to right; whitespace and comments between
them are ignored; ``MATCHER:name`` exports what the matcher matched as the field ``name``::

    IPADDR:ip SPACE LD:method ' ' INT:status
    TIMESTAMP('yyyy-MM-dd HH:mm:ss'):time LD:message
    JSON:raw                                  a JSON document, as a record read with raw[key]
    JSON{STRING:name, INT:count}(flat=true)   chosen members, each its own field
    JSON_ARRAY{INT}(typed=true):ports         a JSON array, its elements converted

Sequences become one regular expression (RE2: linear time) matched from the start of the text; the JSON
matchers must be the whole pattern. Anything else is an error at its position inside the pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["JSON_MATCHERS", "MEMBER_TYPES", "SCALARS", "Matcher", "PatternError", "Text", "parse_pattern"]

MAX_PATTERN = 4_000  # characters: a pattern is written by hand
_IPV4 = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
_IPV6 = r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|" + _IPV4 + r")?"

# matcher → (regular expression, DQL type of what it exports)
SCALARS: dict[str, tuple[str, str]] = {
    "LD": (r"[^\n]*?", "string"),
    "LDATA": (r"[^\n]*?", "string"),
    "DATA": (r"(?s:.*?)", "string"),
    "INT": (r"[+-]?\d+", "long"),
    "INTEGER": (r"[+-]?\d+", "long"),
    "LONG": (r"[+-]?\d+", "long"),
    "DOUBLE": (r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", "double"),
    "FLOAT": (r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", "double"),
    "IPADDR": (f"(?:{_IPV4}|{_IPV6})", "string"),
    "IPV4": (_IPV4, "string"),
    "IPV6": (_IPV6, "string"),
    "SPACE": (r"[ \t]+", "string"),
    "SPACES": (r"[ \t]+", "string"),
    "WORD": (r"\w+", "string"),
    "ALPHA": (r"[A-Za-z]+", "string"),
    "DIGIT": (r"\d+", "string"),
    "ALNUM": (r"[A-Za-z0-9]+", "string"),
    "NSPACE": (r"\S+", "string"),
    "EOL": (r"\n", "string"),
}
JSON_MATCHERS = frozenset({"JSON", "JSON_OBJECT", "JSON_ARRAY", "JSON_VALUE"})
# matchers that name a member's type inside JSON{…} (and JSON_ARRAY{…}) → its DQL type
MEMBER_TYPES: dict[str, str] = {
    "STRING": "string",
    "BOOLEAN": "boolean",
    "BOOL": "boolean",
    "TIMESTAMP": "timestamp",
}
MEMBER_TYPES |= {name: kind for name, (_, kind) in SCALARS.items()}
MEMBER_TYPES |= dict.fromkeys(("JSON", "JSON_OBJECT", "JSON_VALUE"), "json") | {"JSON_ARRAY": "array"}
_CONFIG = {"JSON": {"flat"}, "JSON_OBJECT": {"flat"}, "JSON_ARRAY": {"typed"}, "JSON_VALUE": set[str]()}
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Z][A-Z0-9_]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_EXPORT = re.compile(r":\s*([A-Za-z_][A-Za-z0-9_.]*)")
_QUANTIFIER = re.compile(r"[?*+]")


class PatternError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Text:
    """A quoted literal: the text must appear there."""

    value: str
    offset: int


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    offset: int
    export: str | None = None
    members: tuple[Matcher, ...] = ()  # JSON{...}: the members to extract; JSON_ARRAY{T}: the element type
    config: dict[str, str] = field(default_factory=dict)  # (flat=true), (typed=true)
    argument: str | None = None  # TIMESTAMP('format')
    quantifier: str = ""


def _unquote(raw: str, offset: int) -> str:
    body = raw[1:-1]
    try:
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)
    except re.error:  # pragma: no cover - the substitution has no user-controlled regex
        raise PatternError("Invalid escape in a literal", offset) from None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def skip(self) -> None:
        while self.i < len(self.text):
            match = _TOKEN.match(self.text, self.i)
            if match is None or match.lastgroup not in ("ws", "comment"):
                return
            self.i = match.end()

    def items(self, closer: str | None = None) -> list[Text | Matcher]:
        out: list[Text | Matcher] = []
        while True:
            self.skip()
            if self.i >= len(self.text):
                if closer is not None:
                    raise PatternError(f"Missing '{closer}'", self.i)
                return out
            if closer is not None and self.text.startswith(closer, self.i):
                return out
            if closer is not None and out and self.text[self.i] == ",":
                self.i += 1
                continue
            out.append(self.item())

    def item(self) -> Text | Matcher:
        start = self.i
        match = _TOKEN.match(self.text, self.i)
        if match is None or match.lastgroup not in ("quoted", "name"):
            raise PatternError(f"Unexpected {self.text[self.i]!r} in the pattern", start)
        self.i = match.end()
        if match.lastgroup == "quoted":
            return Text(_unquote(match.group(0), start), start)
        return self.matcher(match.group(0), start)

    def matcher(self, name: str, start: int) -> Matcher:
        if name not in MEMBER_TYPES:
            raise PatternError(f"Unsupported pattern matcher '{name}'", start)
        members: tuple[Matcher, ...] = ()
        if self.text.startswith("{", self.i):
            if name not in ("JSON", "JSON_OBJECT", "JSON_ARRAY"):
                raise PatternError(f"'{name}' takes no '{{…}}'", self.i)
            self.i += 1
            inner = self.items("}")
            self.i += 1
            if any(isinstance(m, Text) for m in inner):
                raise PatternError("Inside JSON{…} list matchers, like JSON{STRING:name}", start)
            members = tuple(m for m in inner if isinstance(m, Matcher))
        config: dict[str, str] = {}
        argument = None
        if self.text.startswith("(", self.i):
            argument, config = self.parens(name)
        quantifier = ""
        if (q := _QUANTIFIER.match(self.text, self.i)) is not None and name in SCALARS:
            quantifier = q.group(0)
            self.i = q.end()
        export = None
        if (e := _EXPORT.match(self.text, self.i)) is not None:
            export = e.group(1)
            self.i = e.end()
        if name == "TIMESTAMP" and argument is None:
            raise PatternError("TIMESTAMP needs its format, like TIMESTAMP('yyyy-MM-dd HH:mm:ss')", start)
        return Matcher(name, start, export, members, config, argument, quantifier)

    def parens(self, name: str) -> tuple[str | None, dict[str, str]]:
        start = self.i
        end = self.text.find(")", start)
        if end < 0:
            raise PatternError("Missing ')'", start)
        body = self.text[start + 1 : end].strip()
        self.i = end + 1
        if name == "TIMESTAMP":
            if len(body) < 2 or body[0] not in "'\"" or body[-1] != body[0]:
                raise PatternError("TIMESTAMP takes a quoted format, like TIMESTAMP('yyyy-MM-dd')", start)
            return body[1:-1], {}
        config: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in body.split(","))):
            key, _, value = part.partition("=")
            key, value = key.strip(), value.strip().strip("'\"")
            if key not in _CONFIG.get(name, set()):
                raise PatternError(f"Unsupported option '{key}' for {name}", start + 1)
            if value not in ("true", "false"):
                raise PatternError(f"{key} must be true or false", start + 1)
            config[key] = value
        return None, config


def parse_pattern(text: str) -> list[Text | Matcher]:
    """The items of a pattern; ``PatternError`` (with its offset in ``text``) for what is not supported."""
    if len(text) > MAX_PATTERN:
        raise PatternError(f"Pattern too long (at most {MAX_PATTERN} characters)", 0)
    items = _Reader(text).items()
    if not items:
        raise PatternError("Empty pattern", 0)
    for item in items:
        if isinstance(item, Matcher) and item.name in JSON_MATCHERS and len(items) > 1:
            raise PatternError(f"{item.name} must be the whole pattern", item.offset)
    return items
