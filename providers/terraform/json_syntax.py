"""Terraform's JSON configuration syntax (``*.tf.json``) -> the same syntax nodes the HCL front ends build.

JSON has no expressions of its own, so Terraform reads every JSON string as a template (``"${var.region}"``
is the expression ``var.region``, ``"dwp-${var.env}"`` a template) and tells attributes from nested blocks
by the provider's schema. A static scan has no schema, so a property of a resource, data source or
provider is a nested block when its value is an object of argument names (``"versioning": {"enabled":
true}``) or a list of objects (``"rule": [{...}]``), and an attribute otherwise; the maps every module
sets (``tags``, ``labels``...) are attributes whatever their keys. Blocks Terraform itself defines
(``variable``, ``output``, ``module``, ``locals``, ``lifecycle``, ``dynamic``) are read by their own
rules, and properties named ``"//"`` in a body are comments. Lines are those of each property's key.

See https://developer.hashicorp.com/terraform/language/syntax/json and the HCL JSON specification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from providers.terraform import hcl_syntax as syn
from providers.terraform.templates import Interpolation, TemplateError, parse_template

_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "check": 1}
"""Top-level block types and how many labels they take; others (``terraform``, ``moved``...) take none."""

_MAP_ATTRIBUTES = frozenset({
    "tags", "tags_all", "labels", "annotations", "default_labels", "resource_labels", "user_labels",
    "variables", "environment_variables", "parameters", "app_settings", "triggers", "metadata_startup_script",
    "node_labels", "properties", "settings", "extra_args", "headers", "query_parameters",
})
"""Attributes that hold a map, whose keys look like argument names (GCP labels, Lambda variables):
never read as a nested block."""

_ARGUMENT_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_KEY_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?')


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its properties in order, duplicates kept (the HCL JSON rules allow repeated blocks)."""


@dataclass(frozen=True)
class _Property:
    key: str
    value: Any
    line: int


def parse_json_config(text: str, path: str) -> syn.HclFile:
    """Parse one ``.tf.json`` file; raises ``HclSyntaxError`` with the line where it is malformed."""
    try:
        document = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as error:
        raise syn.HclSyntaxError(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    except RecursionError:
        raise syn.HclSyntaxError("nested too deeply to read", None) from None
    lines = _key_lines(text)
    blocks: list[syn.Block] = []
    for prop in _body(_with_lines(document, lines), 1):
        labels = _LABELS.get(prop.key, 0)
        for block_labels, body, line in _labelled(prop, labels):
            blocks.append(_TOP_LEVEL.get(prop.key, _schema_less)(prop.key, block_labels, body, line))
    return syn.HclFile(path, {}, tuple(blocks))


# --- JSON with the line of each key ----------------------------------------------------------------


def _key_lines(text: str) -> Iterator[int]:
    """The line of every object key, in document order. Outside strings JSON holds no quote, so matching
    strings left to right finds each one; a key is a string followed by a colon."""
    line, position = 1, 0
    for match in _KEY_OR_STRING.finditer(text):
        if match.group(1) is None:
            continue
        line += text.count("\n", position, match.start())
        position = match.start()
        yield line


def _with_lines(value: Any, lines: Iterator[int]) -> Any:
    """Objects as lists of ``_Property`` (with their key's line), arrays as tuples, in one pre-order walk,
    which visits keys in the order they appear in the text."""
    if isinstance(value, _Pairs):
        found = []
        for key, item in value:
            line = next(lines, 1)  # the key's, before its value's keys are taken
            found.append(_Property(key, _with_lines(item, lines), line))
        return found
    if isinstance(value, list):
        return tuple(_with_lines(item, lines) for item in value)
    return value


# --- bodies and blocks -----------------------------------------------------------------------------


def _body(value: Any, line: int) -> list[_Property]:
    """A body: one object, or an array of objects read one after the other; ``"//"`` comments dropped."""
    objects = value if isinstance(value, tuple) else (value,)
    found: list[_Property] = []
    for item in objects:
        if not _is_object(item):
            raise syn.HclSyntaxError("a block body must be a JSON object (or an array of objects)", line)
        found.extend(p for p in item if p.key != "//")
    return found


def _is_object(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(p, _Property) for p in value)


def _labelled(prop: _Property, labels: int) -> Iterator[tuple[tuple[str, ...], list[_Property], int]]:
    """Each block a property defines: its labels (one object level per label), body and line."""
    levels: list[tuple[tuple[str, ...], Any, int]] = [((), prop.value, prop.line)]
    for _ in range(labels):
        deeper = []
        for so_far, value, line in levels:
            deeper.extend(((*so_far, label.key), label.value, label.line) for label in _body(value, line))
        levels = deeper
    for block_labels, value, line in levels:
        bodies = value if isinstance(value, tuple) else (value,)
        for body in bodies:
            yield block_labels, _body(body, line), line


def _block(block_type: str, labels: tuple[str, ...], attributes: list[syn.Attribute], blocks: list[syn.Block],
           line: int) -> syn.Block:
    by_name: dict[str, syn.Attribute] = {}
    for attribute in attributes:
        if attribute.name in by_name:
            raise syn.duplicate_attribute(attribute.name, by_name[attribute.name], attribute.line)
        by_name[attribute.name] = attribute
    return syn.Block(block_type, labels, by_name, tuple(blocks), line)


def _schema_less(block_type: str, labels: tuple[str, ...], body: list[_Property], line: int) -> syn.Block:
    """A resource, data source, provider or nested block: Terraform's own arguments by their rules, the
    rest told apart by shape."""
    attributes: list[syn.Attribute] = []
    blocks: list[syn.Block] = []
    for prop in body:
        if prop.key in ("provider", "depends_on", "ignore_changes", "replace_triggered_by"):
            attributes.append(syn.Attribute(prop.key, _traversals(prop.value, prop.line), prop.line))
        elif prop.key in ("count", "for_each"):
            attributes.append(syn.Attribute(prop.key, _expression(prop.value, prop.line), prop.line))
        elif prop.key == "dynamic":
            blocks.extend(_dynamic(block_labels, dynamic_body, label_line)
                          for block_labels, dynamic_body, label_line in _labelled(prop, 1))
        elif prop.key in ("provisioner", "backend"):
            blocks.extend(_schema_less(prop.key, block_labels, nested, nested_line)
                          for block_labels, nested, nested_line in _labelled(prop, 1))
        elif _is_block(prop):
            blocks.extend(_schema_less(prop.key, (), nested, prop.line) for nested in _block_bodies(prop))
        else:
            attributes.append(syn.Attribute(prop.key, _expression(prop.value, prop.line), prop.line))
    return _block(block_type, labels, attributes, blocks, line)


def _is_block(prop: _Property) -> bool:
    if prop.key in _MAP_ATTRIBUTES:
        return False
    value = prop.value
    if _is_object(value):
        return all(_ARGUMENT_NAME.match(p.key) or p.key == "//" for p in value)
    return isinstance(value, tuple) and bool(value) and all(_is_object(item) and all(
        _ARGUMENT_NAME.match(p.key) or p.key == "//" for p in item) for item in value)


def _block_bodies(prop: _Property) -> list[list[_Property]]:
    items = prop.value if isinstance(prop.value, tuple) else (prop.value,)
    return [_body(item, prop.line) for item in items]


def _dynamic(labels: tuple[str, ...], body: list[_Property], line: int) -> syn.Block:
    attributes: list[syn.Attribute] = []
    blocks: list[syn.Block] = []
    for prop in body:
        if prop.key == "content":
            blocks.extend(_schema_less("content", (), nested, prop.line) for nested in _block_bodies(prop))
        elif prop.key == "iterator":
            attributes.append(syn.Attribute(prop.key, _traversal(prop.value, prop.line), prop.line))
        else:
            attributes.append(syn.Attribute(prop.key, _expression(prop.value, prop.line), prop.line))
    return _block("dynamic", labels, attributes, blocks, line)


def _variable(block_type: str, labels: tuple[str, ...], body: list[_Property], line: int) -> syn.Block:
    attributes: list[syn.Attribute] = []
    blocks: list[syn.Block] = []
    for prop in body:
        if prop.key == "type":
            # A type constraint is written as its native expression: "list(string)".
            attributes.append(syn.Attribute(prop.key, _traversal(prop.value, prop.line), prop.line))
        elif prop.key == "validation":
            blocks.extend(_arguments("validation", (), nested, prop.line) for nested in _block_bodies(prop))
        elif prop.key == "default":
            # Defaults are read without an evaluation context: "${...}" in them is text, not a template.
            attributes.append(syn.Attribute(prop.key, _literal(prop.value), prop.line))
        else:
            attributes.append(syn.Attribute(prop.key, _expression(prop.value, prop.line), prop.line))
    return _block(block_type, labels, attributes, blocks, line)


def _arguments(block_type: str, labels: tuple[str, ...], body: list[_Property], line: int) -> syn.Block:
    """``locals``, ``output``, ``module`` and ``validation``: every property is an argument (no nested
    blocks but conditions), with Terraform's own reference arguments read as references."""
    attributes: list[syn.Attribute] = []
    blocks: list[syn.Block] = []
    for prop in body:
        if prop.key == "depends_on" and block_type != "locals":
            attributes.append(syn.Attribute(prop.key, _traversals(prop.value, prop.line), prop.line))
        elif prop.key == "providers" and block_type == "module":
            attributes.append(syn.Attribute(prop.key, _provider_map(prop.value, prop.line), prop.line))
        elif prop.key in ("precondition", "postcondition") and block_type == "output":
            blocks.extend(_arguments(prop.key, (), nested, prop.line) for nested in _block_bodies(prop))
        elif prop.key in ("source", "version") and block_type == "module":
            attributes.append(syn.Attribute(prop.key, _literal(prop.value), prop.line))
        else:
            attributes.append(syn.Attribute(prop.key, _expression(prop.value, prop.line), prop.line))
    return _block(block_type, labels, attributes, blocks, line)


_TOP_LEVEL = {"variable": _variable, "locals": _arguments, "output": _arguments, "module": _arguments}


# --- expressions -----------------------------------------------------------------------------------


def _expression(value: Any, line: int) -> syn.Expr:
    """A JSON value read in full expression mode: strings are templates, object keys too."""
    if isinstance(value, str):
        return _template(value, line)
    if isinstance(value, tuple):
        if len(value) > syn.MAX_COLLECTION_ITEMS:
            return syn.too_many_items(len(value), "list")
        return syn.TupleExpr(tuple(_expression(item, line) for item in value))
    if _is_object(value):
        if len(value) > syn.MAX_COLLECTION_ITEMS:
            return syn.too_many_items(len(value), "object")
        return syn.ObjectExpr(tuple((_template(p.key, p.line), _expression(p.value, p.line)) for p in value))
    return syn.Literal(value)


def _literal(value: Any) -> syn.Expr:
    """A JSON value read literally: strings are never templates."""
    if isinstance(value, str):
        return syn.Template((value,)) if value else syn.Template(())
    if isinstance(value, tuple):
        return syn.TupleExpr(tuple(_literal(item) for item in value))
    if _is_object(value):
        return syn.ObjectExpr(tuple((syn.Template((p.key,)), _literal(p.value)) for p in value))
    return syn.Literal(value)


def _traversal(value: Any, line: int) -> syn.Expr:
    """A string that holds a native expression rather than a template (``"aws.dr"``, ``"list(string)"``)."""
    if not isinstance(value, str):
        raise syn.HclSyntaxError(f"expected a string holding a reference or type, found {_kind(value)}", line)
    return _native(value.removeprefix("${").removesuffix("}") if value.startswith("${") else value, line)


def _traversals(value: Any, line: int) -> syn.Expr:
    if isinstance(value, tuple):
        return syn.TupleExpr(tuple(_traversal(item, line) for item in value))
    return _traversal(value, line)


def _provider_map(value: Any, line: int) -> syn.Expr:
    """A module's ``providers``: ``{"aws": "aws.london"}``, both sides provider references."""
    if not _is_object(value):
        return _expression(value, line)
    return syn.ObjectExpr(tuple((_traversal(p.key, p.line), _traversal(p.value, p.line)) for p in value))


def _native(text: str, line: int) -> syn.Expr:
    try:
        document = syn.parse_hcl(f"x = {text}\n", "<json expression>")
    except syn.HclSyntaxError:
        # The native parser's own message is about the one-line document built here, not the user's file.
        raise syn.HclSyntaxError(f"{text!r} is not a valid Terraform expression", line) from None
    attribute = document.attributes.get("x")
    if attribute is None or len(document.attributes) != 1 or document.blocks:
        raise syn.HclSyntaxError(f"{text!r} is not a valid expression", line)
    return attribute.expr


def _template(text: str, line: int) -> syn.Expr:
    """A JSON string as a native-syntax template: ``${...}`` interpolations, ``$${``/``%%{`` escapes,
    ``~`` strip markers. A directive (``%{ if }``) is not modelled, as in native quoted strings."""
    if "${" not in text and "%{" not in text:
        return syn.Template((text,)) if text else syn.Template(())
    try:
        nodes = parse_template(text)
    except TemplateError as error:
        raise syn.HclSyntaxError(str(error), line) from None
    if not all(isinstance(node, str | Interpolation) for node in nodes):
        return syn.Opaque("template directive in a JSON string")
    return syn.join_text([node.expr if isinstance(node, Interpolation) else node for node in nodes])


def _kind(value: Any) -> str:
    if _is_object(value):
        return "an object"
    if isinstance(value, tuple):
        return "an array"
    return type(value).__name__
