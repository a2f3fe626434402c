"""The DQL parser: tokens → ``nodes.Query``.

Commands are a table (keyword → the named parameters it accepts); expressions are parsed by precedence
climbing over the table ``BINARY`` (weakest first), exactly as ``docs/dql.md`` lists the operators.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from threatlake.errors import QueryError
from threatlake.query import nodes as n
from threatlake.query.tokens import DURATION_UNITS, Token, TokenType, tokenize

__all__ = ["ASSIGN_HINT", "COMMANDS", "parse"]

ASSIGN_HINT = "did you mean '=='? ('=' assigns a field, '==' compares)"

# keyword → named parameters it accepts. The compiler has the matching table of stages.
COMMANDS: dict[str, frozenset[str]] = {
    "fetch": frozenset({"from", "to", "timeframe", "bucket", "scanLimitGBytes", "samplingRatio"}),
    "filter": frozenset(),
    "filterOut": frozenset(),
    "search": frozenset(),
    "fields": frozenset(),
    "fieldsKeep": frozenset(),
    "fieldsAdd": frozenset(),
    "fieldsRemove": frozenset(),
    "fieldsRename": frozenset(),
    "fieldsFlatten": frozenset({"prefix", "depth", "fields"}),
    "summarize": frozenset({"by"}),
    "sort": frozenset(),
    "limit": frozenset(),
    "dedup": frozenset({"sort"}),
    "makeTimeseries": frozenset({"by", "interval", "time", "from", "to", "timeframe", "bins", "nonempty"}),
    "expand": frozenset({"limit"}),
    "parse": frozenset({"preserveFieldsOnFailure", "parsingPrerequisite"}),
    "append": frozenset(),
    "lookup": frozenset({"sourceField", "lookupField", "prefix", "fields", "executionOrder"}),
    "join": frozenset({"on", "kind", "prefix", "fields", "executionOrder"}),
}
_COMMAND_BY_LOWER = {name.lower(): name for name in COMMANDS}

# Binary operator levels, weakest first; each level is left-associative.
BINARY: tuple[tuple[str, ...], ...] = (
    ("or",),
    ("xor",),
    ("and",),
    (),  # "not" is prefix at this level
    ("in",),
    ("==", "!=", "<>", "<", "<=", ">", ">="),
    ("~",),
    ("+", "-"),
    ("@",),
    ("*", "/", "%"),
)
_NOT_LEVEL = 3
_LEVELS = {op: level for level, ops in enumerate(BINARY) for op in ops}
_WORD_OPS = frozenset({"or", "xor", "and", "in", "not"})
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
# How deeply expressions may nest (parentheses, calls, operands of a chain of operators): well past any
# real query, and well inside what the compiler's recursion can take. ``and``/``or`` chains are flat.
MAX_DEPTH = 100


def did_you_mean(word: str, choices: object) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)  # type: ignore[call-overload]
    return f"; did you mean '{close[0]}'?" if close else ""


def _fold_aliases(params: list[n.Param]) -> list[n.Param]:
    """``summarize count(), alias:total`` is ``summarize total = count()``: ``alias:`` names the expression
    just before it (any command)."""
    out: list[n.Param] = []
    for p in params:
        if p.name != "alias":
            out.append(p)
            continue
        target = out[-1] if out else None
        if target is None or target.name is not None or target.alias is not None:
            raise p.pos.error("alias: must follow the expression it names, like count(), alias:total{where}")
        if isinstance(p.expr, n.Field):
            name = p.expr.name
        elif isinstance(p.expr, n.Literal) and p.expr.kind == "string":
            name = str(p.expr.value)
        else:
            raise p.expr.pos.error(f"alias: takes a field name but found '{p.expr}'{{where}}")
        out[-1] = n.Param(target.pos, target.expr, None, name, target.order, p.pos)
    return out


def _pos(tok: Token) -> n.Pos:
    return n.Pos(tok.line, tok.column, tok.text)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.type is not TokenType.EOF:
            self.i += 1
        return tok

    def expect(self, op: str, opener: Token | None = None) -> Token:
        if self.tok.is_op(op):
            return self.advance()
        if self.tok.is_op("="):
            raise self.tok.error(f"Unexpected '='{{where}}; {ASSIGN_HINT}")
        if opener is not None and self.tok.type is TokenType.EOF:
            raise opener.error(f"Unbalanced '{opener.text}': missing '{op}'")
        found = self.tok.text or "end of query"
        raise self.tok.error(f"Expected '{op}' but found '{found}'")

    # -- queries and commands

    def query(self, closer: str | None = None) -> n.Query:
        commands: list[n.Command] = []
        while True:
            commands.append(self.command())
            if self.tok.is_op("|"):
                self.advance()
                continue
            if closer is not None and self.tok.is_op(closer):
                break
            if self.tok.type is TokenType.EOF and closer is None:
                break
            if closer is not None and self.tok.type is TokenType.EOF:
                raise self.tok.error(f"Expected '{closer}' but found end of query")
            if self.tok.is_op("="):
                raise self.tok.error(f"Unexpected '='{{where}}; {ASSIGN_HINT}")
            raise self.tok.error(f"Expected '|' or end of query but found '{self.tok.text}'")
        return n.Query(tuple(commands))

    def command(self) -> n.Command:
        tok = self.tok
        if tok.type is not TokenType.IDENT:
            found = tok.text or "end of query"
            raise tok.error(f"Expected a command but found '{found}'")
        name = (COMMANDS.get(tok.text) and tok.text) or _COMMAND_BY_LOWER.get(tok.text.lower())
        if name is None:
            raise tok.error(f"Unknown command '{tok.text}'{{where}}{did_you_mean(tok.text, COMMANDS)}")
        self.advance()
        params: list[n.Param] = []
        if not (self.tok.is_op("|") or self.tok.is_op("]") or self.tok.type is TokenType.EOF):
            params = self.params(None)
        params = _fold_aliases(params)
        allowed = COMMANDS[name]
        for p in params:
            if p.name is not None and p.name not in allowed:
                hint = did_you_mean(p.name, allowed)
                raise p.pos.error(f"Unknown parameter '{p.name}' for {name}{{where}}{hint}")
        return n.Command(_pos(tok), name, tuple(params))

    def params(self, closer: str | None) -> list[n.Param]:
        params = [self.param()]
        while self.tok.is_op(","):
            self.advance()
            if closer is not None and self.tok.is_op(closer):
                break  # trailing comma
            params.append(self.param())
        return params

    def param(self) -> n.Param:
        tok, nxt = self.tok, self.peek()
        name = alias = None
        if tok.type in (TokenType.IDENT, TokenType.BACKTICK) and nxt.is_op(":"):
            name = str(tok.value)
            self.i += 2
        first = self.tok
        assign = None
        if first.type in (TokenType.IDENT, TokenType.BACKTICK) and self.peek().is_op("="):
            alias = str(first.value)
            assign = _pos(self.peek())
            self.i += 2
        expr = self.expr()
        order = None
        if self.tok.is_word("asc") or self.tok.is_word("desc"):
            order = self.advance().text.lower()
        return n.Param(_pos(tok), expr, name, alias, order, assign)

    # -- expressions

    def expr(self, min_level: int = 0) -> n.Expr:
        """Precedence climbing over operators at ``min_level`` or stronger; ``not`` is prefix at its level."""
        tok = self.tok
        if min_level <= _NOT_LEVEL and tok.type is TokenType.IDENT and tok.text.lower() == "not":
            self.advance()
            left: n.Expr = n.Unary(_pos(tok), "not", self.nested(lambda: self.expr(_NOT_LEVEL)))
        else:
            left = self.unary()
        chain = 0  # operands so far of a left-associative chain: each one nests the tree a level deeper
        while True:
            tok = self.tok
            if tok.type is TokenType.OP:
                op = tok.text
            elif tok.type is TokenType.IDENT and tok.text.lower() in _WORD_OPS:
                op = tok.text.lower()
            else:
                return left
            level = _LEVELS.get(op)
            if level is None or level < min_level:
                return left
            if op not in ("and", "or"):
                chain += 1
                if self.depth + chain > MAX_DEPTH:
                    raise tok.error(f"Query nested too deeply (at most {MAX_DEPTH} levels)")
            self.advance()
            right = self.align_unit() if op == "@" else self.nested(lambda level=level: self.expr(level + 1))  # type: ignore[misc]
            left = n.Binary(_pos(tok), "!=" if op == "<>" else op, left, right)

    def align_unit(self) -> n.Expr:
        """After ``@``: a duration, or a bare unit (``now()@d`` means ``@1d``)."""
        tok = self.tok
        if tok.type is TokenType.IDENT and tok.text in DURATION_UNITS and not self.peek().is_op("("):
            self.advance()
            return n.Literal(_pos(tok), "duration", DURATION_UNITS[tok.text])
        return self.expr(_LEVELS["@"] + 1)

    def unary(self) -> n.Expr:
        if self.tok.is_op("-"):
            tok = self.advance()
            operand = self.nested(self.unary)
            if isinstance(operand, n.Literal) and operand.kind in ("long", "double", "duration"):
                value = operand.value
                assert isinstance(value, int | float)
                return n.Literal(_pos(tok), operand.kind, -value)
            return n.Unary(_pos(tok), "-", operand)
        return self.postfix(self.primary())

    def postfix(self, base: n.Expr) -> n.Expr:
        while self.tok.is_op("["):
            opener = self.advance()
            if self.tok.is_op("]"):
                self.advance()
                base = n.Access(_pos(opener), base, None)
                continue
            key = self.nested(self.expr)
            self.expect("]", opener)
            base = n.Access(_pos(opener), base, key)
        return base

    def nested(self, fn: Callable[[], n.Expr]) -> n.Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.tok.error(f"Query nested too deeply (at most {MAX_DEPTH} levels)")
        try:
            return fn()
        finally:
            self.depth -= 1

    def nested_params(self, closer: str) -> list[n.Param]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.tok.error(f"Query nested too deeply (at most {MAX_DEPTH} levels)")
        try:
            return self.params(closer)
        finally:
            self.depth -= 1

    def primary(self) -> n.Expr:
        tok = self.tok
        pos = _pos(tok)
        kind = tok.type
        if kind is TokenType.STRING:
            self.advance()
            return n.Literal(pos, "string", tok.value)
        if kind in (TokenType.LONG, TokenType.DOUBLE, TokenType.DURATION):
            self.advance()
            return n.Literal(pos, kind.name.lower(), tok.value)
        if kind is TokenType.BACKTICK:
            self.advance()
            return n.Field(pos, str(tok.value))
        if kind is TokenType.IDENT:
            word = tok.text.lower()
            if word in ("true", "false"):
                self.advance()
                return n.Literal(pos, "boolean", word == "true")
            if word == "null":
                self.advance()
                return n.Literal(pos, "null", None)
            if self.peek().is_op("("):
                self.advance()
                opener = self.advance()
                params: list[n.Param] = []
                if not self.tok.is_op(")"):
                    params = self.nested_params(")")
                self.expect(")", opener)
                return n.Call(pos, tok.text, tuple(params))
            if word in _WORD_OPS:
                raise tok.error(f"Unexpected keyword '{tok.text}'")
            self.advance()
            return n.Field(pos, tok.text)
        if tok.is_op("("):
            self.advance()
            inner = self.nested(self.expr)
            self.expect(")", tok)
            return inner
        if tok.is_op("{"):
            self.advance()
            items: list[n.Param] = []
            if not self.tok.is_op("}"):
                items = self.nested_params("}")
            self.expect("}", tok)
            return n.Group(pos, tuple(items))
        if tok.is_op("["):
            self.advance()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise tok.error(f"Query nested too deeply (at most {MAX_DEPTH} levels)")
            query = self.query("]")
            self.depth -= 1
            self.expect("]", tok)
            return n.SubQuery(pos, query)
        if kind is TokenType.EOF:
            raise tok.error("Unexpected end of query: expected an expression")
        if tok.text in _CLOSERS.values():
            raise tok.error(f"Unbalanced '{tok.text}'")
        raise tok.error(f"Unexpected '{tok.text}': expected an expression")


def parse(text: str) -> n.Query:
    """Parse a whole query; raises ``QueryError`` with line and column."""
    parser = _Parser(tokenize(text))
    try:
        query = parser.query()
    except RecursionError:
        raise QueryError("Query nested too deeply", 1, 1, text[:20]) from None
    return query
