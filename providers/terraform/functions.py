"""Terraform's built-in functions that decide names, tags and regions, over plain Python values.

Arguments arrive already evaluated and free of unknowns, except for the few functions that
``expressions._UNKNOWN_TOLERANT`` lets handle them (``coalesce``, ``lookup``, ``merge``, ``jsonencode``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from providers.semantics.records import Unknown


class FunctionError(Exception):
    """The function cannot produce a value from these arguments."""


def _merge(*maps: Any) -> Any:
    result: dict[str, Any] = {}
    for item in maps:
        if isinstance(item, Unknown):
            return item
        if item is None:
            continue
        if not isinstance(item, dict):
            raise FunctionError("merge() takes maps or objects")
        result.update(item)
    return result


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    for value in (mapping, key):
        if isinstance(value, Unknown):
            return value
    if not isinstance(mapping, dict):
        raise FunctionError("lookup() takes a map")
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise FunctionError(f"the map has no key {key!r} and no default was given")


def _coalesce(*values: Any) -> Any:
    # The first value that is neither null nor "" wins; an unknown before it means we cannot say.
    for value in values:
        if isinstance(value, Unknown):
            return value
        if value is not None and value != "":
            return value
    raise FunctionError("no non-null argument")


def _format(spec: str, *args: Any) -> str:
    values = iter(args)

    def replace(match: re.Match[str]) -> str:
        verb = match.group(2)
        if verb == "%":
            return "%"
        value = next(values)
        if verb == "q":
            return json.dumps(value)
        if verb in "dfe":
            return format(value, match.group(1) + verb)
        return str(value).lower() if isinstance(value, bool) else str(value)

    try:
        return re.sub(r"%([-+# 0]*\d*(?:\.\d+)?)([a-zA-Z%])", replace, spec)
    except StopIteration:
        raise FunctionError("too few arguments for the format string") from None


def _concat(*lists: Any) -> list[Any]:
    result: list[Any] = []
    for item in lists:
        if not isinstance(item, list):
            raise FunctionError("concat() takes lists")
        result.extend(item)
    return result


def _element(items: list[Any], index: int) -> Any:
    if not items:
        raise FunctionError("element() of an empty list")
    return items[int(index) % len(items)]


def _one(items: Any) -> Any:
    if items is None or items == []:
        return None
    if isinstance(items, list) and len(items) == 1:
        return items[0]
    raise FunctionError("one() needs a list of zero or one element")


def _flatten(items: list[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        result.extend(_flatten(item) if isinstance(item, list) else [item])
    return result


def _tostring(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise FunctionError("tostring() of a collection")
    return "" if value is None else str(value)


def _distinct(items: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _jsonencode(value: Any) -> Any:
    # A policy with one computed ARN in it is still a policy: keep the partly known structure (readers
    # of policy documents accept a mapping) rather than losing every principal to one unknown.
    if isinstance(value, Unknown):
        return value
    if _contains_unknown(value):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def _unknown_after_apply(name: str) -> Callable[..., Any]:
    def function(*_: Any) -> Any:
        return Unknown(f"{name}() reads files or state that a static scan does not")

    return function


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "merge": _merge,
    "lookup": _lookup,
    "coalesce": _coalesce,
    "coalescelist": lambda *lists: next((item for item in lists if item), []),
    "concat": _concat,
    "format": _format,
    "formatlist": lambda spec, *lists: [_format(spec, *row) for row in zip(*lists, strict=True)],
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "title": lambda s: str(s).title(),
    "trimspace": lambda s: str(s).strip(),
    "trim": lambda s, chars: str(s).strip(chars),
    "trimprefix": lambda s, prefix: str(s).removeprefix(prefix),
    "trimsuffix": lambda s, suffix: str(s).removesuffix(suffix),
    "replace": lambda s, old, new: str(s).replace(old, new),
    "substr": lambda s, offset, length: str(s)[offset : None if length < 0 else offset + length],
    "join": lambda sep, items: sep.join(_tostring(i) for i in items),
    "split": lambda sep, s: str(s).split(sep),
    "startswith": lambda s, prefix: str(s).startswith(prefix),
    "endswith": lambda s, suffix: str(s).endswith(suffix),
    "strcontains": lambda s, part: part in str(s),
    "tostring": _tostring,
    "tonumber": lambda v: v if isinstance(v, int | float) else float(v) if "." in str(v) else int(v),
    "tobool": lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[str(v)],
    "tolist": lambda v: list(v),
    "toset": lambda v: _distinct(list(v)),
    "tomap": lambda v: dict(v),
    "length": lambda v: len(v),
    "element": _element,
    "one": _one,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "contains": lambda items, value: value in items,
    "distinct": _distinct,
    "flatten": _flatten,
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "zipmap": lambda keys, values: dict(zip(keys, values, strict=True)),
    "jsonencode": _jsonencode,
    "jsondecode": lambda s: json.loads(s),
    "can": lambda v: True,
    "file": _unknown_after_apply("file"),
    "templatefile": _unknown_after_apply("templatefile"),
    "data": _unknown_after_apply("data"),
}
