"""The reference HCL front end: python-hcl2's Lark parser, reshaped into ``hcl_syntax`` nodes.

Slow (pure Python) but the reference: ``hcl_syntax.parse_hcl`` sends here every file the fast
front end cannot vouch for, so syntax errors carry Lark's line and expectation. The Lark parser is
built once per process by python-hcl2 (``hcl2.parser.parser`` is ``lru_cache``d).
"""

from __future__ import annotations

from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from providers.terraform.hcl_syntax import (
    MAX_COLLECTION_ITEMS,
    Attribute,
    BinaryOp,
    Block,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    HclFile,
    HclSyntaxError,
    Index,
    Literal,
    ObjectExpr,
    Opaque,
    Splat,
    Template,
    TupleExpr,
    UnaryOp,
    Variable,
    duplicate_attribute,
    heredoc,
    join_text,
    number_literal,
    too_many_items,
    unescape,
)


def parse(text: str, path: str) -> HclFile:
    """Parse one file's text with python-hcl2; raises ``HclSyntaxError`` with the line where parsing failed."""
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
                raise duplicate_attribute(name, attributes[name], child.meta.line)
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
    if data in ("int_lit", "float_lit"):
        return number_literal(str(kids[0]), getattr(getattr(node, "meta", None), "line", None))
    if data == "literal_value":
        return Literal({"true": True, "false": False, "null": None}[str(kids[0])])
    if data == "string":
        return _string(node)
    if data == "identifier":
        return Variable(str(kids[0]))
    if data == "keyword":
        return Variable(str(kids[0]))
    if data in ("heredoc_template", "heredoc_template_trim"):
        return heredoc(str(kids[0]), trim=data.endswith("trim"))
    if data == "template_string":
        return Literal(unescape(str(kids[0])[2:-2]))
    if data == "tuple":
        elements = [k for k in kids if isinstance(k, Tree)]
        if len(elements) > MAX_COLLECTION_ITEMS:
            return too_many_items(len(elements), "list")
        return TupleExpr(tuple(_expr(k) for k in elements))
    if data == "object":
        if sum(1 for k in kids if isinstance(k, Tree) and k.data == "object_elem") > MAX_COLLECTION_ITEMS:
            return too_many_items(sum(1 for k in kids if isinstance(k, Tree) and k.data == "object_elem"), "object")
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
        value = _expr(operand)
        if str(op) == "-" and isinstance(value, Literal) and type(value.value) in (int, float):
            # Lark reads "-1" as a negative literal or as "-" applied to 1 depending on the lexer's
            # state; both front ends say the one negative literal.
            return Literal(-value.value)
        return UnaryOp(str(op), value)
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
                    parts.append(unescape(str(piece)))
            elif piece.data == "interpolation":
                parts.append(_expr(piece))
            else:
                parts.append(Opaque(piece.data))
    return join_text(parts)
