"""HCL source -> a small, immutable syntax tree of blocks, attributes and expressions.

Two front ends build the same frozen nodes. tree-sitter's HCL grammar (``hcl_fast``) reads most files
about twenty times faster than python-hcl2's pure-Python Lark parser; python-hcl2 (``hcl_reference``)
is the reference: it reads any file tree-sitter marks with an error, or that uses a construct the fast
front end does not convert, so error messages (line, what was expected) and odd corners are the
reference's. A differential test holds the two to identical nodes on every fixture and on a generated
corpus. ``parse_hcl`` is a pure function of the file's text, so a caller may cache or parallelise it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any


class HclSyntaxError(Exception):
    """The file is not valid HCL; ``line`` says where the parser stopped."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line

    def __reduce__(self) -> tuple[type[HclSyntaxError], tuple[str, int | None]]:
        # Errors travel back from parser worker processes.
        return (HclSyntaxError, (str(self), self.line))


# --- expressions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: string, number, bool or null."""

    value: Any


@dataclass(frozen=True, slots=True)
class Template:
    """A quoted string or heredoc with interpolations; parts are text or expressions."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class Variable:
    """A bare name: ``var``, ``local``, ``aws_s3_bucket``, ``each``, a ``for`` variable."""

    name: str


@dataclass(frozen=True, slots=True)
class GetAttr:
    """``obj.name``."""

    obj: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    """``obj[key]`` or ``obj.0``."""

    obj: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class Splat:
    """``obj[*].a.b`` or ``obj.*.a``: apply the steps to every element."""

    obj: Expr
    steps: tuple[str | Expr, ...]
    """Attribute names (str) or index expressions, applied in order."""


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``expand`` is set when the last argument ends in ``...``."""

    name: str
    args: tuple[Expr, ...]
    expand: bool = False


@dataclass(frozen=True, slots=True)
class TupleExpr:
    """``[a, b]``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ObjectExpr:
    """``{ k = v }``; keys are expressions (a bare name is a literal key)."""

    items: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True, slots=True)
class BinaryOp:
    """``left op right``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class UnaryOp:
    """``-x`` or ``!x``."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Conditional:
    """``cond ? yes : no``."""

    condition: Expr
    yes: Expr
    no: Expr


@dataclass(frozen=True, slots=True)
class ForExpr:
    """``[for k, v in coll : value if cond]`` or ``{for k, v in coll : key => value}``."""

    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    condition: Expr | None
    grouping: bool


@dataclass(frozen=True, slots=True)
class Opaque:
    """Syntax the evaluator does not model (template directives); evaluates to unknown."""

    text: str


@dataclass(frozen=True, slots=True)
class TooLarge:
    """A literal past a reading budget (``MAX_COLLECTION_ITEMS``); evaluates to unknown with ``reason``."""

    reason: str


Expr = (
    Literal | Template | Variable | GetAttr | Index | Splat | Call | TupleExpr | ObjectExpr
    | BinaryOp | UnaryOp | Conditional | ForExpr | Opaque | TooLarge
)

MAX_COLLECTION_ITEMS = 100_000
"""Items one list or object literal may hold; a larger literal is read as an unknown value with the
reason (no real setting holds one, and a million-element literal would cost seconds and a gigabyte)."""

MAX_LINE_CHARS = 1024 * 1024
"""Characters one line may hold; a file with a longer line is refused, naming the line (both parsers
slow to seconds per megabyte on one token, and no real configuration holds such a line)."""


def too_many_items(count: int, kind: str) -> TooLarge:
    return TooLarge(f"a {kind} literal of {count:,} items, over the {MAX_COLLECTION_ITEMS:,} a literal may hold, "
                    "was not read")


# --- structure ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attribute:
    """``name = expression`` inside a body."""

    name: str
    expr: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    """``type "label" ... { body }``."""

    type: str
    labels: tuple[str, ...]
    attributes: dict[str, Attribute]
    blocks: tuple[Block, ...]
    line: int

    def blocks_of(self, block_type: str) -> tuple[Block, ...]:
        """Nested blocks of one type, in source order."""
        return tuple(b for b in self.blocks if b.type == block_type)


@dataclass(frozen=True, slots=True)
class HclFile:
    """A parsed ``.tf`` or ``.tfvars`` file: its top-level attributes and blocks."""

    path: str
    attributes: dict[str, Attribute]
    blocks: tuple[Block, ...]


def parse_hcl(text: str, path: str) -> HclFile:
    """Parse one file's text; raises ``HclSyntaxError`` with the line where parsing failed."""
    # Imported here: each front end imports these nodes, and Lark (120 ms to import) is loaded only
    # when a file needs it.
    from providers.terraform import hcl_fast

    _refuse_long_lines(text)
    parsed = hcl_fast.parse(text, path)
    if parsed is not None:
        return parsed
    from providers.terraform import hcl_reference

    return hcl_reference.parse(text, path)


def _refuse_long_lines(text: str) -> None:
    if len(text) <= MAX_LINE_CHARS:
        return
    lengths = [len(line) for line in text.split("\n")]
    longest = max(lengths)
    if longest > MAX_LINE_CHARS:
        number = lengths.index(longest) + 1
        raise HclSyntaxError(f"line {number} is {longest / 1_048_576:.1f} M characters long, over the "
                             f"{MAX_LINE_CHARS // 1_048_576} M a line may hold; the file was not read", number)


PARSER_VERSION = "3"
"""Changes whenever the nodes either front end builds change; part of the parse cache's key."""


def _pickled_by_fields(cls: type) -> None:
    # The parse cache unpickles thousands of nodes per run; dataclasses' generated __setstate__ is
    # three times slower than calling the class with its fields.
    names = tuple(f.name for f in fields(cls))

    def reduce(self: object) -> tuple[type, tuple[Any, ...]]:
        return (type(self), tuple(getattr(self, name) for name in names))

    cls.__reduce__ = reduce  # type: ignore[method-assign]


for _node in (Literal, Template, Variable, GetAttr, Index, Splat, Call, TupleExpr, ObjectExpr, BinaryOp, UnaryOp,
              Conditional, ForExpr, Opaque, TooLarge, Attribute, Block, HclFile):
    _pickled_by_fields(_node)


def number_literal(text: str, line: int | None) -> Literal:
    """An HCL number literal's value (both front ends)."""
    if len(text) > 4000:
        # Past Python's integer-string limit; no real setting holds such a number.
        raise HclSyntaxError(f"a number literal of {len(text):,} digits is too long to read", line)
    if text.lstrip("-").isdigit():
        return Literal(int(text))
    return Literal(float(text))


def duplicate_attribute(name: str, first: Attribute, line: int) -> HclSyntaxError:
    """Terraform refuses a body that sets one attribute twice ("Attribute redefined"); so do we,
    since taking either value would be a guess."""
    return HclSyntaxError(f"attribute {name!r} is defined twice (first on line {first.line}); "
                          "Terraform refuses this file", line)


_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_UNICODE_WIDTHS = {"u": 4, "U": 8}
_HEX = frozenset("0123456789abcdefABCDEF")


def unescape(value: str) -> str:
    """Resolve a quoted template's escapes in one pass, as python-hcl2 does: ``\\n``, ``\\uNNNN``...;
    an unrecognised escape or an unusable code point is kept verbatim."""
    if "\\" not in value:
        return value
    parts: list[str] = []
    index, length = 0, len(value)
    while index < length:
        char = value[index]
        if char != "\\" or index + 1 >= length:
            parts.append(char)
            index += 1
            continue
        marker = value[index + 1]
        if marker in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[marker])
            index += 2
            continue
        width = _UNICODE_WIDTHS.get(marker)
        if width is not None:
            digits = value[index + 2 : index + 2 + width]
            if len(digits) == width and all(d in _HEX for d in digits):
                codepoint = int(digits, 16)
                if codepoint <= 0x10FFFF and not 0xD800 <= codepoint <= 0xDFFF:
                    parts.append(chr(codepoint))
                    index += 2 + width
                    continue
        parts.append(char)
        parts.append(marker)
        index += 2
    return "".join(parts)


def join_text(parts: list[str | Expr]) -> Template:
    """A template from its pieces, adjacent text merged."""
    merged: list[str | Expr] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return Template(tuple(merged))


_HEREDOC = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n(.*?)[ \t]*\1\r?\n?$", re.S)


def heredoc(raw: str, *, trim: bool) -> Expr:
    """A heredoc's value from its whole source text (``<<EOT`` to the closing marker)."""
    match = _HEREDOC.match(raw)
    body = match.group(2) if match else raw
    if trim:
        lines = body.splitlines(keepends=True)
        indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        cut = min(indents, default=0)
        body = "".join(line[cut:] for line in lines)
    if "${" not in body and "%{" not in body:
        return Literal(body)
    return _parse_heredoc_template(body)


def _parse_heredoc_template(body: str) -> Expr:
    # The grammar keeps a heredoc as one token, so its interpolations are parsed here, each as the
    # value of a one-line document.
    parts: list[str | Expr] = []
    position = 0
    while True:
        start = body.find("${", position)
        directive = body.find("%{", position)
        if directive != -1 and (start == -1 or directive < start):
            return Opaque("heredoc template directive")
        if start == -1:
            parts.append(body[position:])
            break
        if start > 0 and body[start - 1] == "$":
            parts.append(body[position : start + 2])
            position = start + 2
            continue
        parts.append(body[position:start])
        end = closing_brace(body, start + 2)
        if end is None:
            return Opaque("unterminated interpolation in heredoc")
        try:
            document = parse_hcl(f"x = {body[start + 2 : end]}\n", "<heredoc>")
        except HclSyntaxError:
            return Opaque("unparsable interpolation in heredoc")
        parts.append(document.attributes["x"].expr)
        position = end + 1
    return join_text(parts)


def closing_brace(text: str, position: int) -> int | None:
    """The ``}`` closing a sequence whose body starts at ``position``: braces nest, strings are skipped (the
    template directives of ``templates`` use it too)."""
    depth = 1
    in_string = False
    while position < len(text):
        char = text[position]
        if in_string:
            if char == "\\":
                position += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return None
