"""HCL source -> a small, immutable syntax tree of blocks, attributes and expressions.

python-hcl2's Lark parser does the parsing; this module only reshapes its raw parse tree into
frozen values the evaluator can walk. ``parse_hcl`` is a pure function of the file's text, so a
caller may cache or parallelise it; the Lark parser itself is built once per process by
python-hcl2 (``hcl2.parser.parser`` is ``lru_cache``d and keeps a grammar cache on disk).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import hcl2
from hcl2.utils import process_escape_sequences
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput


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


Expr = (
    Literal | Template | Variable | GetAttr | Index | Splat | Call | TupleExpr | ObjectExpr
    | BinaryOp | UnaryOp | Conditional | ForExpr | Opaque
)


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
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as error:
        line = getattr(error, "line", None)
        token = getattr(error, "token", None)
        if token is not None and getattr(token, "type", "") == "$END":
            # Lark stops at the end of the file; the useful line is where the unclosed block opened.
            line = _unclosed_brace_line(text) or line
        raise HclSyntaxError(_describe_parse_error(error), line) from None
    except LarkError as error:
        raise HclSyntaxError(f"not valid HCL: {error}", None) from None
    attributes, blocks = _body(tree.children[0])
    return HclFile(path=path, attributes=attributes, blocks=blocks)


def _unclosed_brace_line(text: str) -> int | None:
    """Line of the first ``{`` never closed, skipping strings and comments; None if braces balance."""
    opened: list[int] = []
    line, position, length = 1, 0, len(text)
    while position < length:
        char = text[position]
        if char == "\n":
            line += 1
        elif char == '"':
            position += 1
            while position < length and text[position] not in '"\n':
                position += 2 if text[position] == "\\" else 1
            if position < length and text[position] == "\n":
                line += 1
        elif char == "#" or text.startswith("//", position):
            while position < length and text[position] != "\n":
                position += 1
            continue
        elif text.startswith("/*", position):
            end = text.find("*/", position + 2)
            end = length if end == -1 else end + 2
            line += text.count("\n", position, end)
            position = end
            continue
        elif char == "{":
            opened.append(line)
        elif char == "}" and opened:
            opened.pop()
        position += 1
    return opened[0] if opened else None


def _describe_parse_error(error: UnexpectedInput) -> str:
    token = getattr(error, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return "not valid HCL: this block is never closed (a missing '}' or quote?)"
    if token is not None and not str(token).strip():
        return "not valid HCL: unexpected end of line (a missing value or closing bracket?)"
    if token is not None:
        return f"not valid HCL: unexpected {str(token).strip()!r}"
    char = getattr(error, "char", None)
    if char is not None:
        return f"not valid HCL: unexpected character {char!r}"
    return "not valid HCL"


def _body(body: Tree) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for child in body.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = _name(child.children[0])
            if name in attributes:
                # Terraform refuses the file ("Attribute redefined"); taking either value would be a guess.
                raise HclSyntaxError(f"attribute {name!r} is defined twice (first on line {attributes[name].line}); "
                                     "Terraform refuses this file", child.meta.line)
            attributes[name] = Attribute(name, _expr(child.children[2]), child.meta.line)
        elif child.data == "block":
            blocks.append(_block(child))
    return attributes, tuple(blocks)


def _block(node: Tree) -> Block:
    parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
    *head, body = parts
    block_type = _name(head[0])
    labels = tuple(_string_literal(h) if h.data == "string" else _name(h) for h in head[1:])
    attributes, blocks = _body(body)
    return Block(block_type, labels, attributes, blocks, node.meta.line)


def _name(node: Tree | Token) -> str:
    if isinstance(node, Token):
        return str(node)
    return str(node.children[0])


def _string_literal(node: Tree) -> str:
    template = _string(node)
    return "".join(p if isinstance(p, str) else "" for p in template.parts)


# --- expression conversion ---------------------------------------------------------------------


def _children(node: Tree) -> list[Any]:
    """Children without newlines/comments, which the grammar scatters everywhere."""
    return [
        c for c in node.children
        if not (isinstance(c, Tree) and c.data == "new_line_or_comment")
    ]




def _expr(node: Tree | Token) -> Expr:
    if isinstance(node, Token):
        return Literal(str(node))
    data = node.data
    kids = _children(node)
    if data == "expr_term":
        inner = [k for k in kids if isinstance(k, Tree)]
        return _expr(inner[0])
    if data == "int_lit":
        text = str(kids[0])
        if len(text) > 4000:
            # Past Python's integer-string limit; no real setting holds such a number.
            line = getattr(getattr(node, "meta", None), "line", None)
            raise HclSyntaxError(f"a number literal of {len(text):,} digits is too long to read", line)
        return Literal(int(text))
    if data == "float_lit":
        return Literal(float(str(kids[0])))
    if data == "literal_value":
        return Literal({"true": True, "false": False, "null": None}[str(kids[0])])
    if data == "string":
        return _string(node)
    if data == "identifier":
        return Variable(str(kids[0]))
    if data == "keyword":
        return Variable(str(kids[0]))
    if data in ("heredoc_template", "heredoc_template_trim"):
        return _heredoc(str(kids[0]), trim=data.endswith("trim"))
    if data == "template_string":
        return Literal(process_escape_sequences(str(kids[0])[2:-2]))
    if data == "tuple":
        return TupleExpr(tuple(_expr(k) for k in kids if isinstance(k, Tree)))
    if data == "object":
        items = []
        for elem in kids:
            if isinstance(elem, Tree) and elem.data == "object_elem":
                key_node, *_, value_node = _children(elem)
                items.append((_object_key(key_node), _expr(value_node)))
        return ObjectExpr(tuple(items))
    if data == "function_call":
        names = [str(k.children[0]) for k in kids if isinstance(k, Tree) and k.data == "identifier"]
        args_node = next((k for k in kids if isinstance(k, Tree) and k.data == "arguments"), None)
        args: tuple[Expr, ...] = ()
        expand = False
        if args_node is not None:
            arg_kids = _children(args_node)
            args = tuple(_expr(k) for k in arg_kids if isinstance(k, Tree))
            expand = any(isinstance(k, Token) and k.type == "ELLIPSIS" for k in arg_kids)
        return Call("::".join(names), args, expand)
    if data == "get_attr_expr_term":
        obj, get_attr = kids
        return GetAttr(_expr(obj), _attr_name(get_attr))
    if data == "index_expr_term":
        obj, index = kids
        return Index(_expr(obj), _index_key(index))
    if data in ("attr_splat_expr_term", "full_splat_expr_term"):
        obj, splat = kids
        steps: list[str | Expr] = []
        for step in _children(splat):
            if isinstance(step, Tree):
                steps.append(_attr_name(step) if step.data == "get_attr" else _index_key(step))
        return Splat(_expr(obj), tuple(steps))
    if data == "conditional":
        trees = [k for k in kids if isinstance(k, Tree)]
        return Conditional(_expr(trees[0]), _expr(trees[1]), _expr(trees[2]))
    if data == "binary_op":
        left, term = (k for k in kids if isinstance(k, Tree))
        operator, right = (k for k in _children(term) if isinstance(k, Tree))
        return BinaryOp(str(operator.children[0]), _expr(left), _expr(right))
    if data == "unary_op":
        op, operand = kids
        return UnaryOp(str(op), _expr(operand))
    if data in ("for_tuple_expr", "for_object_expr"):
        return _for(node, is_object=data == "for_object_expr")
    if data == "interpolation":
        return _expr(next(k for k in kids if isinstance(k, Tree)))
    return Opaque(data)


def _object_key(node: Tree) -> Expr:
    inner = _children(node)[0]
    if isinstance(inner, Tree) and inner.data == "keyword":
        return Literal(str(inner.children[0]))
    key = _expr(inner)
    # A bare name as an object key is the literal name, not a variable reference.
    if isinstance(key, Variable):
        return Literal(key.name)
    return key


def _attr_name(get_attr: Tree) -> str:
    name_node = next(k for k in get_attr.children if isinstance(k, Tree))
    return str(name_node.children[0])


def _index_key(index: Tree) -> Expr:
    if index.data == "short_index":
        return Literal(int(str(index.children[-1])))
    return _expr(next(k for k in _children(index) if isinstance(k, Tree)))


def _for(node: Tree, *, is_object: bool) -> ForExpr:
    kids = [k for k in _children(node) if isinstance(k, Tree)]
    intro, *rest = kids
    intro_kids = [k for k in _children(intro) if isinstance(k, Tree)]
    names = [str(k.children[0]) for k in intro_kids if k.data == "identifier"]
    collection = _expr(intro_kids[-1])
    condition = None
    if rest and rest[-1].data == "for_cond":
        cond_node = rest.pop()
        condition = _expr(next(k for k in _children(cond_node) if isinstance(k, Tree)))
    key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
    grouping = any(isinstance(k, Token) and k.type == "ELLIPSIS" for k in node.children)
    if is_object:
        key_expr, value_expr = rest[0], rest[1]
        return ForExpr(key_var, value_var, collection, _expr(key_expr), _expr(value_expr), condition, grouping)
    return ForExpr(key_var, value_var, collection, None, _expr(rest[0]), condition, False)


def _string(node: Tree) -> Template:
    parts: list[str | Expr] = []
    for part in node.children:
        if not isinstance(part, Tree):
            continue  # the quotes
        for piece in part.children:
            if isinstance(piece, Token):
                if piece.type == "ESCAPED_INTERPOLATION" or piece.type == "ESCAPED_DIRECTIVE":
                    parts.append(str(piece)[1:])
                else:
                    parts.append(process_escape_sequences(str(piece)))
            elif piece.data == "interpolation":
                parts.append(_expr(piece))
            else:
                parts.append(Opaque(piece.data))
    return _join_text(parts)


def _join_text(parts: list[str | Expr]) -> Template:
    merged: list[str | Expr] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return Template(tuple(merged))


_HEREDOC = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n(.*?)[ \t]*\1\r?\n?$", re.S)


def _heredoc(raw: str, *, trim: bool) -> Expr:
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
        end = _matching_brace(body, start + 2)
        if end is None:
            return Opaque("unterminated interpolation in heredoc")
        try:
            document = parse_hcl(f"x = {body[start + 2 : end]}\n", "<heredoc>")
        except HclSyntaxError:
            return Opaque("unparsable interpolation in heredoc")
        parts.append(document.attributes["x"].expr)
        position = end + 1
    return _join_text(parts)


def _matching_brace(text: str, position: int) -> int | None:
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
