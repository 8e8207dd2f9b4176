"""Grafana Alloy's configuration syntax (formerly River), read as structure: a tokenizer and a recursive-descent
parser giving a tree of blocks, attributes and expressions, each with its line.

The grammar read (Alloy's own, less nothing it accepts):

- a body is statements, one per line: a **block** ``name.name "label" { body }`` (the label optional) or an
  **attribute** ``name = expression``;
- expressions: strings ``"..."`` with Go escapes, raw strings in backticks, numbers, ``true``/``false``/``null``,
  arrays ``[a, b,]``, objects ``{ key = value, "key" = value, }``, identifiers and dotted references
  (``discovery.relabel.pods.output``), indexing ``a[0]``, calls ``f(a, b)``, unary ``!``/``-``, the binary
  operators ``|| && == != < <= > >= + - * / % ^`` and parentheses;
- comments ``//`` to the end of the line and ``/* ... */``.

A text that does not parse raises ``AlloySyntaxError`` (with its line), and nothing else: a caller reports it as
a coverage gap. Nesting deeper than ``MAX_DEPTH`` is refused the same way, never a ``RecursionError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 100


class AlloySyntaxError(ValueError):
    """A configuration that is not Alloy syntax, with the line where reading stopped."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


# --- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A string, number, bool or null."""

    value: Any
    line: int


@dataclass(frozen=True)
class Reference:
    """A dotted name: ``sys.env``, ``discovery.relabel.pods.output``, ``argument.x.value``."""

    parts: tuple[str, ...]
    line: int

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Array:
    items: tuple[Expr, ...]
    line: int


@dataclass(frozen=True)
class Object:
    fields: tuple[tuple[str, Expr], ...]
    line: int


@dataclass(frozen=True)
class Call:
    function: Expr
    arguments: tuple[Expr, ...]
    line: int


@dataclass(frozen=True)
class Index:
    target: Expr
    index: Expr
    line: int


@dataclass(frozen=True)
class Access:
    """A field of something that is not a plain name: ``f(x).field``, ``a[0].b``."""

    target: Expr
    name: str
    line: int


@dataclass(frozen=True)
class Unary:
    operator: str
    operand: Expr
    line: int


@dataclass(frozen=True)
class Binary:
    operator: str
    left: Expr
    right: Expr
    line: int


Expr = Literal | Reference | Array | Object | Call | Index | Access | Unary | Binary


@dataclass(frozen=True)
class Attribute:
    name: str
    value: Expr
    line: int


@dataclass(frozen=True)
class Block:
    """``name "label" { body }``: ``name`` dotted (``loki.write``), ``label`` None when there is none."""

    name: str
    label: str | None
    body: tuple[Attribute | Block, ...]
    line: int

    def attribute(self, name: str) -> Attribute | None:
        return next((s for s in self.body if isinstance(s, Attribute) and s.name == name), None)

    def blocks(self, name: str | None = None) -> list[Block]:
        return [s for s in self.body if isinstance(s, Block) and (name is None or s.name == name)]

    @property
    def attributes(self) -> list[Attribute]:
        return [s for s in self.body if isinstance(s, Attribute)]


@dataclass(frozen=True)
class Document:
    body: tuple[Attribute | Block, ...] = field(default_factory=tuple)

    def blocks(self) -> list[Block]:
        return [s for s in self.body if isinstance(s, Block)]


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, op, newline, eof
    value: Any
    line: int


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[^\W\d]\w*")
_OPERATORS = ("||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "^", "!", "=", ".", ",",
              "(", ")", "[", "]", "{", "}")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"',
            "'": "'"}


def tokenize(text: str) -> list[Token]:
    """The tokens of a text; newlines are tokens (they end statements), comments are dropped."""
    tokens: list[Token] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            tokens.append(Token("newline", None, line))
            line += 1
            i += 1
        elif char in " \t\r\ufeff":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise AlloySyntaxError("unterminated /* comment", line)
            comment = text[i:end + 2]
            if "\n" in comment:
                tokens.append(Token("newline", None, line))
            line += comment.count("\n")
            i = end + 2
        elif char == '"':
            value, i, line = _string(text, i, line)
            tokens.append(Token("string", value, line))
        elif char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise AlloySyntaxError("unterminated raw string", line)
            tokens.append(Token("string", text[i + 1:end], line))
            line += text.count("\n", i, end)
            i = end + 1
        elif char in "0123456789":
            match = _NUMBER.match(text, i)
            raw = match.group(0) if match is not None else char
            tokens.append(Token("number", float(raw) if any(c in raw for c in ".eE") else int(raw), line))
            i += len(raw)
        elif (match := _IDENT.match(text, i)) is not None:
            tokens.append(Token("ident", match.group(0), line))
            i = match.end()
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
            if operator is None:
                raise AlloySyntaxError(f"unexpected character {char!r}", line)
            tokens.append(Token("op", operator, line))
            i += len(operator)
    tokens.append(Token("eof", None, line))
    return tokens


def _string(text: str, start: int, line: int) -> tuple[str, int, int]:
    out: list[str] = []
    i, first = start + 1, line
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), i + 1, line
        if char == "\n":
            raise AlloySyntaxError("newline in a string", first)
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(text):
            break
        escape = text[i + 1]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            i += 2
        elif escape in "uUx":
            width = {"u": 4, "U": 8, "x": 2}[escape]
            digits = text[i + 2:i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise AlloySyntaxError(f"bad \\{escape} escape in a string", line)
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise AlloySyntaxError("escape out of Unicode's range", line)
            out.append(chr(code))
            i += 2 + width
        elif escape in "01234567":
            digits = text[i + 1:i + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits):
                raise AlloySyntaxError("bad octal escape in a string", line)
            out.append(chr(int(digits, 8) & 0xFF))
            i += 4
        else:
            raise AlloySyntaxError(f"unknown escape \\{escape} in a string", line)
    raise AlloySyntaxError("unterminated string", first)


# --- the parser -----------------------------------------------------------------------------------

_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4, "*": 5,
               "/": 5, "%": 5, "^": 6}


def parse(text: str) -> Document:
    """The tree of an Alloy configuration; ``AlloySyntaxError`` when it is not one."""
    return _Parser(tokenize(text)).document()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    # helpers
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def is_op(self, value: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.value == value

    def expect_op(self, value: str) -> Token:
        token = self.next()
        if token.kind != "op" or token.value != value:
            raise AlloySyntaxError(f"expected {value!r}, found {_shown(token)}", token.line)
        return token

    def skip_newlines(self) -> None:
        while self.peek().kind == "newline":
            self.next()

    def enter(self, line: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise AlloySyntaxError(f"nested deeper than {MAX_DEPTH}", line)

    # statements
    def document(self) -> Document:
        body = self.body(top=True)
        return Document(tuple(body))

    def body(self, top: bool) -> list[Attribute | Block]:
        statements: list[Attribute | Block] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token.kind == "eof":
                if not top:
                    raise AlloySyntaxError("unclosed block: '}' expected", token.line)
                return statements
            if not top and self.is_op("}"):
                return statements
            statements.append(self.statement())
            end = self.peek()
            if end.kind not in ("newline", "eof") and not (not top and self.is_op("}")):
                raise AlloySyntaxError(f"expected a new line after a statement, found {_shown(end)}", end.line)

    def statement(self) -> Attribute | Block:
        token = self.next()
        if token.kind != "ident":
            raise AlloySyntaxError(f"expected a block or attribute name, found {_shown(token)}", token.line)
        if self.is_op("="):
            self.next()
            return Attribute(token.value, self.expression(), token.line)
        parts = [token.value]
        while self.is_op("."):
            self.next()
            part = self.next()
            if part.kind != "ident":
                raise AlloySyntaxError(f"expected a name after '.', found {_shown(part)}", part.line)
            parts.append(part.value)
        label = None
        if self.peek().kind == "string":
            label = self.next().value
        self.enter(token.line)
        self.expect_op("{")
        body = self.body(top=False)
        self.expect_op("}")
        self.depth -= 1
        return Block(".".join(parts), label, tuple(body), token.line)

    # expressions
    def expression(self, minimum: int = 1) -> Expr:
        left = self.unary()
        entered = 0
        while True:
            token = self.peek()
            precedence = _PRECEDENCE.get(token.value) if token.kind == "op" else None
            if precedence is None or precedence < minimum:
                self.depth -= entered
                return left
            self.next()
            self.enter(token.line)  # each operator nests the tree one deeper
            entered += 1
            # ^ is right-associative; the others left.
            right = self.expression(precedence if token.value == "^" else precedence + 1)
            left = Binary(token.value, left, right, token.line)

    def unary(self) -> Expr:
        token = self.peek()
        if token.kind == "op" and token.value in ("!", "-"):
            self.next()
            self.enter(token.line)
            operand = self.unary()
            self.depth -= 1
            return Unary(token.value, operand, token.line)
        return self.postfix(self.primary())

    def postfix(self, value: Expr) -> Expr:
        while True:
            token = self.peek()
            if self.is_op("."):
                self.next()
                name = self.next()
                if name.kind != "ident":
                    raise AlloySyntaxError(f"expected a field name after '.', found {_shown(name)}", name.line)
                value = Reference((*value.parts, name.value), value.line) if isinstance(value, Reference) else \
                    Access(value, name.value, name.line)
            elif self.is_op("["):
                self.next()
                self.enter(token.line)
                self.skip_newlines()
                index = self.expression()
                self.skip_newlines()
                self.expect_op("]")
                self.depth -= 1
                value = Index(value, index, token.line)
            elif self.is_op("("):
                self.next()
                self.enter(token.line)
                arguments = self.sequence(")")
                self.depth -= 1
                value = Call(value, tuple(arguments), token.line)
            else:
                return value

    def sequence(self, close: str) -> list[Expr]:
        items: list[Expr] = []
        while True:
            self.skip_newlines()
            if self.is_op(close):
                self.next()
                return items
            items.append(self.expression())
            self.skip_newlines()
            if self.is_op(","):
                self.next()
            elif not self.is_op(close):
                token = self.peek()
                raise AlloySyntaxError(f"expected ',' or {close!r}, found {_shown(token)}", token.line)

    def primary(self) -> Expr:
        token = self.next()
        if token.kind in ("string", "number"):
            return Literal(token.value, token.line)
        if token.kind == "ident":
            if token.value in ("true", "false"):
                return Literal(token.value == "true", token.line)
            if token.value == "null":
                return Literal(None, token.line)
            return Reference((token.value,), token.line)
        if token.kind == "op" and token.value == "(":
            self.enter(token.line)
            self.skip_newlines()
            inner = self.expression()
            self.skip_newlines()
            self.expect_op(")")
            self.depth -= 1
            return inner
        if token.kind == "op" and token.value == "[":
            self.enter(token.line)
            items = self.sequence("]")
            self.depth -= 1
            return Array(tuple(items), token.line)
        if token.kind == "op" and token.value == "{":
            self.enter(token.line)
            fields = self.fields()
            self.depth -= 1
            return Object(tuple(fields), token.line)
        raise AlloySyntaxError(f"expected a value, found {_shown(token)}", token.line)

    def fields(self) -> list[tuple[str, Expr]]:
        fields: list[tuple[str, Expr]] = []
        while True:
            self.skip_newlines()
            if self.is_op("}"):
                self.next()
                return fields
            key = self.next()
            if key.kind not in ("ident", "string"):
                raise AlloySyntaxError(f"expected an object key, found {_shown(key)}", key.line)
            self.expect_op("=")
            fields.append((str(key.value), self.expression()))
            self.skip_newlines()
            if self.is_op(","):
                self.next()
            elif not self.is_op("}"):
                token = self.peek()
                raise AlloySyntaxError(f"expected ',' or '}}', found {_shown(token)}", token.line)


def _shown(token: Token) -> str:
    if token.kind == "eof":
        return "the end of the text"
    if token.kind == "newline":
        return "a new line"
    return repr(token.value)


# --- reading values -------------------------------------------------------------------------------


def literal(expr: Expr | None) -> Any:
    """The plain value of an expression made only of literals, arrays and objects; ``NOT_LITERAL`` otherwise."""
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Array):
        items = [literal(i) for i in expr.items]
        return NOT_LITERAL if any(i is NOT_LITERAL for i in items) else items
    if isinstance(expr, Object):
        values = {k: literal(v) for k, v in expr.fields}
        return NOT_LITERAL if any(v is NOT_LITERAL for v in values.values()) else values
    return NOT_LITERAL


class _NotLiteral:
    def __repr__(self) -> str:
        return "NOT_LITERAL"


NOT_LITERAL: Any = _NotLiteral()


def references(expr: Expr) -> list[Reference]:
    """Every dotted reference an expression holds, called functions' names excepted."""
    found: list[Reference] = []
    stack: list[Expr] = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, Reference):
            found.append(item)
        elif isinstance(item, Array):
            stack.extend(reversed(item.items))
        elif isinstance(item, Object):
            stack.extend(v for _, v in reversed(item.fields))
        elif isinstance(item, Call):
            stack.extend(reversed(item.arguments))
            if not isinstance(item.function, Reference):
                stack.append(item.function)
        elif isinstance(item, Index):
            stack.extend((item.index, item.target))
        elif isinstance(item, Access):
            stack.append(item.target)
        elif isinstance(item, Unary):
            stack.append(item.operand)
        elif isinstance(item, Binary):
            stack.extend((item.right, item.left))
    return found


def shown(expr: Expr, limit: int = 80) -> str:
    """An expression written back, shortened, for a finding's words."""
    text = _written(expr)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _written(expr: Expr) -> str:
    if isinstance(expr, Literal):
        if isinstance(expr.value, str):
            return '"' + expr.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return "null" if expr.value is None else str(expr.value).lower() if isinstance(expr.value, bool) else \
            str(expr.value)
    if isinstance(expr, Reference):
        return expr.dotted
    if isinstance(expr, Array):
        return "[" + ", ".join(_written(i) for i in expr.items) + "]"
    if isinstance(expr, Object):
        return "{" + ", ".join(f"{k} = {_written(v)}" for k, v in expr.fields) + "}"
    if isinstance(expr, Call):
        return f"{_written(expr.function)}(" + ", ".join(_written(a) for a in expr.arguments) + ")"
    if isinstance(expr, Index):
        return f"{_written(expr.target)}[{_written(expr.index)}]"
    if isinstance(expr, Access):
        return f"{_written(expr.target)}.{expr.name}"
    if isinstance(expr, Unary):
        return f"{expr.operator}{_written(expr.operand)}"
    return f"{_written(expr.left)} {expr.operator} {_written(expr.right)}"
