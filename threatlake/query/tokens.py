"""The DQL tokenizer: text → tokens, each knowing its line and column (1-based)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from threatlake.errors import QueryError

__all__ = ["DURATION_UNITS", "MAX_LONG", "Token", "TokenType", "tokenize"]

MAX_LONG = 2**63 - 1  # DQL's long is a signed 64-bit integer; a duration is a long of nanoseconds
_MAX_NUMBER_TEXT = 400  # digits in one number literal: more is never a meaningful value


class TokenType(Enum):
    IDENT = "identifier"
    BACKTICK = "backtick name"
    STRING = "string"
    LONG = "long"
    DOUBLE = "double"
    DURATION = "duration"
    OP = "operator"
    EOF = "end of query"


# Nanoseconds per unit; longest spellings first so "ms" wins over "m".
DURATION_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 604_800_000_000_000,
}

_PATTERN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<unit>ns|us|ms|s|m|h|d|w)?(?![A-Za-z0-9_])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<triple>\"\"\"(?:.|\n)*?\"\"\")
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<backtick>`[^`]*`)
  | (?P<op>==|!=|<>|<=|>=|[|,:=<>+\-*/%@~(){}\[\]])
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0", "/": "/"}


@dataclass(frozen=True, slots=True)
class Token:
    type: TokenType
    text: str  # as written
    value: object  # decoded: str for names and strings, int/float, duration in ns
    offset: int
    line: int
    column: int

    def is_op(self, op: str) -> bool:
        return self.type is TokenType.OP and self.text == op

    def is_word(self, word: str) -> bool:
        return self.type is TokenType.IDENT and self.text.lower() == word

    def error(self, message: str) -> QueryError:
        return QueryError(message, self.line, self.column, self.text)


def _unescape(body: str, tok_line: int, tok_col: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise QueryError(f"Invalid escape sequence '\\{nxt}'", tok_line, tok_col, "\\" + nxt)
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _number(match: re.Match[str], line: int, column: int) -> Token:
    """A long, double or duration literal, refused (with its position) when it is out of range."""
    raw, number, unit = match.group(0), match.group("number"), match.group("unit")
    pos = match.start()
    if len(number) > _MAX_NUMBER_TEXT:
        raise QueryError(f"Number literal too long ({len(number)} digits)", line, column, raw[:20])
    is_float = any(c in number for c in ".eE")
    value: int | float = float(number) if is_float else int(number)
    if unit:
        scaled = value * DURATION_UNITS[unit]
        if not math.isfinite(scaled) or abs(scaled) > MAX_LONG:
            raise QueryError(
                f"Duration '{raw}' is out of range (at most {MAX_LONG // DURATION_UNITS['d']}d)",
                line,
                column,
                raw,
            )
        return Token(TokenType.DURATION, raw, int(scaled), pos, line, column)
    if is_float:
        if not math.isfinite(value):
            raise QueryError(f"Number '{raw}' is out of range for a double", line, column, raw)
        return Token(TokenType.DOUBLE, raw, value, pos, line, column)
    if value > MAX_LONG:
        raise QueryError(f"Number '{raw}' is out of range for a long (at most {MAX_LONG})", line, column, raw)
    return Token(TokenType.LONG, raw, value, pos, line, column)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, dropping whitespace and comments; the list ends with an EOF token."""
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        column = pos - line_start + 1
        if text.startswith("/*", pos) and text.find("*/", pos + 2) < 0:
            raise QueryError("Unterminated comment: '/*' has no closing '*/'", line, column, "/*")
        match = _PATTERN.match(text, pos)
        if match is None:
            ch = text[pos]
            if ch in "\"'`":
                raise QueryError("Unterminated string", line, column, text[pos : pos + 20])
            if text.startswith("/*", pos):
                raise QueryError("Unterminated comment", line, column, "/*")
            raise QueryError(f"Unexpected character {ch!r}", line, column, ch)
        kind = match.lastgroup or ""
        raw = match.group(0)
        tok: Token | None = None
        if kind in {"unit", "number"}:
            tok = _number(match, line, column)
        elif kind == "ident":
            tok = Token(TokenType.IDENT, raw, raw, pos, line, column)
        elif kind == "triple":
            tok = Token(TokenType.STRING, raw, raw[3:-3], pos, line, column)
        elif kind == "string":
            tok = Token(TokenType.STRING, raw, _unescape(raw[1:-1], line, column), pos, line, column)
        elif kind == "backtick":
            tok = Token(TokenType.BACKTICK, raw, raw[1:-1], pos, line, column)
        elif kind == "op":
            tok = Token(TokenType.OP, raw, raw, pos, line, column)
        if tok is not None:
            tokens.append(tok)
        newlines = raw.count("\n")
        if newlines:
            line += newlines
            line_start = pos + raw.rindex("\n") + 1
        pos = match.end()
    tokens.append(Token(TokenType.EOF, "", None, pos, line, pos - line_start + 1))
    return tokens
