"""Variable type constraints that fill values in: ``optional(type, default)`` attributes of objects.

``map(object({ region = optional(string, "eu-west-1") }))`` given ``{ a = {} }`` gives ``a.region``
= ``"eu-west-1"``, as Terraform does; without this the region would look unset and the resource
unknown, when Terraform would place it in Ireland.
"""

from __future__ import annotations

from typing import Any

from providers.semantics.records import Unknown
from providers.terraform import hcl_syntax as syn
from providers.terraform.expressions import evaluate


class _Literals:
    """Type constraints and their defaults refer to nothing."""

    def reference(self, root: str, steps: list[Any], trace: list[str]) -> tuple[Any, int]:
        return Unknown(f"a type default refers to {root}"), len(steps)


def with_type_defaults(type_expr: syn.Expr | None, value: Any) -> Any:
    """``value`` with the defaults its type constraint declares filled in (unchanged if it declares none)."""
    if type_expr is None or value is None or isinstance(value, Unknown):
        return value
    if not isinstance(type_expr, syn.Call) or not type_expr.args:
        return value
    name, argument = type_expr.name, type_expr.args[0]
    if name == "object" and isinstance(argument, syn.ObjectExpr) and isinstance(value, dict):
        return _object(argument, value)
    if name in ("map", "list", "set"):
        if isinstance(value, dict):
            return {key: with_type_defaults(argument, item) for key, item in value.items()}
        if isinstance(value, list):
            return [with_type_defaults(argument, item) for item in value]
    if name == "tuple" and isinstance(argument, syn.TupleExpr) and isinstance(value, list):
        return [with_type_defaults(t, v) for t, v in zip(argument.items, value, strict=False)]
    return value


def _object(attributes: syn.ObjectExpr, value: dict[str, Any]) -> dict[str, Any]:
    result = dict(value)
    for key_expr, attribute_type in attributes.items:
        key = _key(key_expr)
        if key is None:
            continue
        inner, default = attribute_type, None
        optional = isinstance(attribute_type, syn.Call) and attribute_type.name == "optional"
        if optional and isinstance(attribute_type, syn.Call):
            inner = attribute_type.args[0] if attribute_type.args else None
            default = attribute_type.args[1] if len(attribute_type.args) > 1 else None
        if result.get(key) is None and optional:
            result[key] = evaluate(default, _Literals()) if default is not None else None
        if key in result:
            result[key] = with_type_defaults(inner, result[key])
    return result


def _key(expr: syn.Expr) -> str | None:
    if isinstance(expr, syn.Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, syn.Template) and all(isinstance(p, str) for p in expr.parts):
        return "".join(str(p) for p in expr.parts)
    return None
