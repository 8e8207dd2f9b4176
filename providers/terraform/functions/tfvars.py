"""The ``provider::terraform::`` functions: ``encode_tfvars``, ``decode_tfvars``, ``encode_expr``."""

from __future__ import annotations

import json
import re
from typing import Any

from providers.semantics.records import Unknown
from providers.terraform.functions.errors import FunctionError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def encode_expr(value: Any) -> str:
    """A value as HCL expression text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return "[" + ", ".join(encode_expr(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{k if _IDENTIFIER.match(k) else json.dumps(k)} = {encode_expr(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise FunctionError(f"encode_expr() cannot encode a {type(value).__name__}")


def encode_tfvars(values: Any) -> str:
    """An object as the text of a ``.tfvars`` file, one line per attribute in key order."""
    if not isinstance(values, dict):
        raise FunctionError("encode_tfvars() takes an object")
    for key in values:
        if not _IDENTIFIER.match(key):
            raise FunctionError(f"{key!r} is not a valid variable name")
    return "".join(f"{key} = {encode_expr(values[key])}\n" for key in sorted(values))


class _Constants:
    """A ``.tfvars`` text may hold constants only."""

    def reference(self, root: str, steps: list[Any], trace: list[str]) -> tuple[Any, int]:
        return Unknown(f"decode_tfvars(): a tfvars text may not refer to {root}"), len(steps)


def decode_tfvars(text: str) -> dict[str, Any]:
    """The text of a ``.tfvars`` file as an object."""
    # Imported here: the expression evaluator itself imports this package.
    from providers.terraform.expressions import evaluate
    from providers.terraform.hcl_syntax import HclSyntaxError, parse_hcl

    try:
        parsed = parse_hcl(text, "<decode_tfvars>")
    except HclSyntaxError as error:
        raise FunctionError(f"decode_tfvars(): {error}") from None
    if parsed.blocks:
        raise FunctionError("decode_tfvars(): a tfvars text holds attributes only")
    return {name: evaluate(attribute.expr, _Constants()) for name, attribute in parsed.attributes.items()}


FUNCTIONS = {"encode_expr": encode_expr, "encode_tfvars": encode_tfvars, "decode_tfvars": decode_tfvars}
"""``provider::terraform::`` functions by their name after the prefix."""
