"""The fast HCL front end: tree-sitter's HCL grammar, reshaped into ``hcl_syntax`` nodes.

tree-sitter parses in C; this module only walks its concrete tree. It vouches for a file only when
the tree has no error and every construct in it has a conversion here; otherwise ``parse`` answers
None and ``hcl_syntax.parse_hcl`` asks the reference front end (python-hcl2), whose nodes and error
messages are authoritative. Text is taken from byte ranges of the source rather than from
tree-sitter's literal tokens, because the grammar treats spaces inside templates as trivia.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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
    Index,
    Literal,
    ObjectExpr,
    Splat,
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

Node = Any
"""A ``tree_sitter.Node`` (typed loosely: the bindings ship no stubs for their attributes)."""


class _NotConverted(Exception):
    """A construct this front end does not convert; the reference front end reads the file."""


@lru_cache(maxsize=1)
def parser() -> Any:
    """tree-sitter's HCL parser (also the lexer of comments, ``hcl_comments``)."""
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


def parse(text: str, path: str) -> HclFile | None:
    """The file's nodes, or None when the reference front end must read it (an error or an
    unconverted construct); raises ``HclSyntaxError`` only for what both front ends refuse alike
    (an attribute defined twice, a number too long to read)."""
    source = text.encode("utf-8", "surrogatepass")
    tree = parser().parse(source)
    root = tree.root_node
    if root.has_error or any(c.type not in ("body", "comment") for c in root.named_children):
        # The grammar also takes a bare object as a whole file (`{}`), which HCL's native syntax is not.
        return None
    try:
        converter = _Converter(source)
        body = next((c for c in root.named_children if c.type == "body"), None)
        attributes, blocks = converter.body(body) if body is not None else ({}, ())
    except (_NotConverted, RecursionError):
        return None
    return HclFile(path=path, attributes=attributes, blocks=blocks)


_ESCAPED_MARKER = re.compile(r"\$\$\{|%%\{")
_BINARY_OPERATORS = frozenset({"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"})


class _Converter:
    def __init__(self, source: bytes) -> None:
        self.source = source

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")

    def between(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "surrogatepass")

    # --- structure -----------------------------------------------------------------------------

    def body(self, body: Node) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in body.named_children:
            kind = child.type
            if kind == "attribute":
                name_node, expression = _named(child)
                name = self.text(name_node)
                line = child.start_point[0] + 1
                if name in attributes:
                    raise duplicate_attribute(name, attributes[name], line)
                attributes[name] = Attribute(name, self.expr(expression), line)
            elif kind == "block":
                blocks.append(self.block(child))
            elif kind != "comment":
                raise _NotConverted(kind)
        return attributes, tuple(blocks)

    def block(self, node: Node) -> Block:
        labels: list[str] = []
        block_type: str | None = None
        attributes: dict[str, Attribute] = {}
        blocks: tuple[Block, ...] = ()
        for child in node.named_children:
            kind = child.type
            if kind == "identifier":
                if block_type is None:
                    block_type = self.text(child)
                else:
                    labels.append(self.text(child))
            elif kind == "string_lit":
                labels.append("".join(p for p in self.template_parts(child) if isinstance(p, str)))
            elif kind == "body":
                attributes, blocks = self.body(child)
            elif kind not in ("block_start", "block_end", "comment"):
                raise _NotConverted(kind)
        if block_type is None:
            raise _NotConverted("block without a type")
        return Block(block_type, tuple(labels), attributes, blocks, node.start_point[0] + 1)

    # --- expressions ---------------------------------------------------------------------------

    def expr(self, node: Node) -> Expr:
        kind = node.type
        if kind == "expression":
            return self.expression(node)
        if kind == "literal_value":
            return self.literal(node.named_children[0])
        if kind == "variable_expr":
            return Variable(self.text(node))
        if kind == "template_expr":
            return self.template(node.named_children[0])
        if kind == "collection_value":
            return self.collection(node.named_children[0])
        if kind == "function_call":
            return self.call(node)
        if kind == "operation":
            return self.operation(node.named_children[0])
        if kind == "conditional":
            return self.conditional(node)
        if kind == "for_expr":
            return self.for_expr(node.named_children[0])
        raise _NotConverted(kind)

    def conditional(self, node: Node) -> Conditional:
        # tree-sitter-hcl groups "a ? b : c ? d : e" as "(a ? b : c) ? d : e"; HCL (and Terraform)
        # groups it to the right. Unparenthesised conditionals down the condition side are
        # flattened to a ? b : c ? d : ... and rebuilt to the right.
        operands: list[Node] = []
        while True:
            condition, yes, no = _named(node)
            operands[:0] = [yes, no]
            inner = _bare_conditional(condition)
            if inner is None:
                operands.insert(0, condition)
                break
            node = inner
        result = self.expr(operands[-1])
        for index in range(len(operands) - 3, -1, -2):
            result = Conditional(self.expr(operands[index]), self.expr(operands[index + 1]), result)
        assert isinstance(result, Conditional)
        return result

    def expression(self, node: Node) -> Expr:
        """An ``expression`` node: a term (or a parenthesised expression) and its postfix steps."""
        return self.sequence([c for c in node.children if c.type != "comment"])

    def sequence(self, children: list[Node]) -> Expr:
        """A term and its postfix steps, as siblings: the grammar nests them in an ``expression``
        node, or lays them out inline as an operator's operand."""
        if not children:
            raise _NotConverted("empty expression")
        if children[0].type == "(":
            value = self.expr(children[1])
            rest = children[3:]
        else:
            value = self.expr(children[0])
            rest = children[1:]
        for step in rest:
            kind = step.type
            if kind == "get_attr":
                value = GetAttr(value, self.attr_name(step))
            elif kind == "index":
                value = Index(value, self.index_key(step.named_children[0]))
            elif kind == "splat":
                value = self.splat(value, step.named_children[0])
            else:
                raise _NotConverted(kind)
        return value

    def attr_name(self, get_attr: Node) -> str:
        name = next(c for c in get_attr.named_children if c.type != "comment")
        if name.type != "identifier":
            raise _NotConverted(name.type)
        return self.text(name)

    def index_key(self, index: Node) -> Expr:
        if index.type == "legacy_index":
            digits = self.text(index)[1:].strip()
            if not digits.isdigit():
                raise _NotConverted("legacy index")
            return Literal(int(digits))
        expression = next(c for c in index.named_children if c.type != "comment")
        return self.expr(expression)

    def splat(self, value: Expr, splat: Node) -> Splat:
        steps: list[str | Expr] = []
        for step in splat.named_children:
            if step.type == "get_attr":
                steps.append(self.attr_name(step))
            elif step.type == "index":
                steps.append(self.index_key(step.named_children[0]))
            elif step.type != "comment":
                raise _NotConverted(step.type)
        return Splat(value, tuple(steps))

    def literal(self, node: Node) -> Expr:
        kind = node.type
        if kind == "numeric_lit":
            return number_literal(self.text(node), node.start_point[0] + 1)
        if kind == "bool_lit":
            return Literal(self.text(node) == "true")
        if kind == "null_lit":
            return Literal(None)
        if kind == "string_lit":
            return join_text(self.template_parts(node))
        raise _NotConverted(kind)

    def template(self, node: Node) -> Expr:
        if node.type == "quoted_template":
            return join_text(self.template_parts(node))
        if node.type == "heredoc_template":
            start = node.named_children[0]
            return heredoc(self.text(node), trim=self.text(start) == "<<-")
        raise _NotConverted(node.type)

    def template_parts(self, node: Node) -> list[str | Expr]:
        """A quoted string's text and interpolations; text comes from the bytes between them."""
        children = node.children
        parts: list[str | Expr] = []
        position = children[0].end_byte
        for child in children[1:-1]:
            kind = child.type
            if kind == "template_literal":
                continue
            if kind != "template_interpolation":
                # Template directives (%{if}, %{for}) and anything else: the reference reads them.
                raise _NotConverted(kind)
            if child.start_byte > position:
                parts.extend(_text_pieces(self.between(position, child.start_byte)))
            inner = [c for c in child.named_children if c.type == "expression"]
            if len(inner) != 1 or _strip_marker(child):
                raise _NotConverted("interpolation")
            parts.append(self.expr(inner[0]))
            position = child.end_byte
        end = children[-1].start_byte
        if end > position:
            parts.extend(_text_pieces(self.between(position, end)))
        return parts

    def collection(self, node: Node) -> Expr:
        if node.type == "tuple":
            if node.named_child_count > MAX_COLLECTION_ITEMS:
                return _too_many(node, "list")
            return TupleExpr(tuple(self.expr(c) for c in node.named_children if c.type == "expression"))
        if node.type == "object":
            if node.named_child_count > MAX_COLLECTION_ITEMS:
                return _too_many(node, "object")
            items = []
            for element in node.named_children:
                if element.type != "object_elem":
                    continue
                key = self.expr(element.child_by_field_name("key"))
                if isinstance(key, Variable):
                    # A bare name as an object key is the literal name, not a variable reference.
                    key = Literal(key.name)
                items.append((key, self.expr(element.child_by_field_name("val"))))
            return ObjectExpr(tuple(items))
        raise _NotConverted(node.type)

    def call(self, node: Node) -> Call:
        name = self.text(node.named_children[0])
        arguments = next((c for c in node.named_children if c.type == "function_arguments"), None)
        if arguments is None:
            return Call(name, ())
        args = tuple(self.expr(c) for c in arguments.named_children if c.type == "expression")
        expand = any(c.type == "ellipsis" for c in arguments.named_children)
        return Call(name, args, expand)

    def operation(self, node: Node) -> Expr:
        children = [c for c in node.children if c.type != "comment"]
        if node.type == "unary_operation":
            operator, operand = children[0], children[1:]
            op = operator.type
            if operand and operand[0].type == "operation":
                # "!!x": the reference grammar refuses an operator on an operator; so do we, so that
                # both front ends accept the same files.
                raise _NotConverted("unary operator applied to an operation")
            value = self.sequence(operand)
            if op == "-" and isinstance(value, Literal) and type(value.value) in (int, float):
                # Both front ends read a negated number as one negative literal.
                return Literal(-value.value)
            return UnaryOp(op, value)
        if node.type == "binary_operation":
            split = next((i for i, c in enumerate(children) if c.type in _BINARY_OPERATORS), None)
            if split is None:
                raise _NotConverted("binary operation")
            operator = children[split].type
            return BinaryOp(operator, self.sequence(children[:split]), self.sequence(children[split + 1 :]))
        raise _NotConverted(node.type)

    def for_expr(self, node: Node) -> ForExpr:
        children = [c for c in node.named_children if c.type != "comment"]
        intro = next(c for c in children if c.type == "for_intro")
        names = [self.text(c) for c in intro.named_children if c.type == "identifier"]
        collection = self.expr(next(c for c in intro.named_children if c.type == "expression"))
        expressions = [c for c in children if c.type == "expression"]
        condition_node = next((c for c in children if c.type == "for_cond"), None)
        condition = None
        if condition_node is not None:
            condition = self.expr(next(c for c in condition_node.named_children if c.type == "expression"))
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if node.type == "for_object_expr":
            grouping = any(c.type == "ellipsis" for c in children)
            key, value = expressions
            return ForExpr(key_var, value_var, collection, self.expr(key), self.expr(value), condition, grouping)
        return ForExpr(key_var, value_var, collection, None, self.expr(expressions[0]), condition, False)


def _too_many(node: Node, kind: str) -> Expr:
    count = sum(1 for c in node.named_children if c.type in ("expression", "object_elem"))
    if count <= MAX_COLLECTION_ITEMS:
        raise _NotConverted("collection near the item limit")  # comments counted; the reference decides
    return too_many_items(count, kind)


def _bare_conditional(node: Node) -> Node | None:
    """The conditional an ``expression`` node is, when it is one and not parenthesised."""
    if node.type == "conditional":
        return node
    if node.type == "expression" and node.named_child_count == 1 and node.named_children[0].type == "conditional":
        return node.named_children[0]
    return None


def _named(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"]


def _strip_marker(interpolation: Node) -> bool:
    # "${~ x ~}" strips whitespace around it; the reference decides what that means.
    return any(c.type == "strip_marker" for c in interpolation.children)


def _text_pieces(raw: str) -> list[str | Expr]:
    """Template text with escapes resolved. ``$${...}`` and ``%%{...}`` stand for a literal ``${...}``
    and ``%{...}``, kept verbatim up to the first ``}`` as the reference keeps them; a marker with no
    ``}`` after it in the same text is declined, as the reference refuses it."""
    pieces: list[str | Expr] = []
    position = 0
    while True:
        match = _ESCAPED_MARKER.search(raw, position)
        if match is None:
            break
        close = raw.find("}", match.end())
        if close == -1:
            raise _NotConverted("escaped template marker without a closing brace")
        pieces.append(unescape(raw[position : match.start()]))
        pieces.append(raw[match.start() + 1 : close + 1])
        position = close + 1
    pieces.append(unescape(raw[position:]))
    return [p for p in pieces if p]
