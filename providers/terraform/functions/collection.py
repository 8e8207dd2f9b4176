"""Collection functions: lists, maps and sets (sets of strings are kept sorted, as Terraform iterates them)."""

from __future__ import annotations

import itertools
import math
from typing import Any

from providers.semantics.records import Unknown
from providers.terraform.functions.errors import FunctionError


def merge(*maps: Any) -> Any:
    """``merge``: later maps win; an unknown map makes the result unknown."""
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


def lookup(mapping: Any, key: Any, *default: Any) -> Any:
    """``lookup``: the key's value, else the default; an unknown map or key is unknown."""
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


def coalesce(*values: Any) -> Any:
    """``coalesce``: the first value that is neither null nor ""; an unknown before it means we cannot say."""
    for value in values:
        if isinstance(value, Unknown):
            return value
        if value is not None and value != "":
            return value
    raise FunctionError("no non-null argument")


def coalescelist(*lists: Any) -> list[Any]:
    """``coalescelist``: the first non-empty list."""
    for item in lists:
        if not isinstance(item, list):
            raise FunctionError("coalescelist() takes lists")
        if item:
            return item
    raise FunctionError("no non-empty list")


def concat(*lists: Any) -> list[Any]:
    """``concat``: the lists, one after another."""
    result: list[Any] = []
    for item in lists:
        if not isinstance(item, list):
            raise FunctionError("concat() takes lists")
        result.extend(item)
    return result


def element(items: list[Any], index: int) -> Any:
    """``element``: the index wraps around the list."""
    if not items:
        raise FunctionError("element() of an empty list")
    if index < 0:
        raise FunctionError("element() index must not be negative")
    return items[int(index) % len(items)]


def one(items: Any) -> Any:
    """``one``: the only element, or null for an empty list."""
    if items is None or items == []:
        return None
    if isinstance(items, list) and len(items) == 1:
        return items[0]
    raise FunctionError("one() needs a list of zero or one element")


def flatten(items: list[Any]) -> list[Any]:
    """``flatten``: nested lists made one."""
    result: list[Any] = []
    for item in items:
        result.extend(flatten(item) if isinstance(item, list) else [item])
    return result


def distinct(items: list[Any]) -> list[Any]:
    """``distinct``: first occurrences, in order."""
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def to_set(items: Any) -> list[Any]:
    """``toset``: duplicates removed; a set of strings iterates in lexical order, as Terraform's does."""
    unique = distinct(list(items))
    return sorted(unique) if all(isinstance(i, str) for i in unique) else unique


def index(items: list[Any], value: Any) -> int:
    """``index``: the position of the first equal element."""
    if value not in items:
        raise FunctionError("index() found no such element")
    return items.index(value)


def slice_(items: list[Any], start: int, end: int) -> list[Any]:
    """``slice``: elements from ``start`` (inclusive) to ``end`` (exclusive)."""
    if not 0 <= start <= end <= len(items):
        raise FunctionError(f"slice() indices {start}..{end} are out of range for {len(items)} elements")
    return items[start:end]


def range_(*args: Any) -> list[Any]:
    """``range(limit)``, ``range(start, limit)``, ``range(start, limit, step)``; floats allowed."""
    numbers = [float(a) if isinstance(a, float) else int(a) for a in args]
    if len(numbers) == 1:
        start, limit, step = 0, numbers[0], 1
    else:
        start, limit, step = numbers[0], numbers[1], numbers[2] if len(numbers) > 2 else 1
    if step == 0:
        raise FunctionError("range() step must not be zero")
    count = max(0, math.ceil((limit - start) / step))
    if count > 10_000:
        raise FunctionError(f"range() of {count:,} elements is more than the 10,000 offshore-scan builds")
    return [start + i * step for i in range(count)]


def chunklist(items: list[Any], size: int) -> list[list[Any]]:
    """``chunklist``: the list cut into lists of ``size`` (0: one chunk)."""
    if size < 0:
        raise FunctionError("chunklist() size must not be negative")
    if size == 0:
        return [list(items)]
    return [items[i : i + size] for i in range(0, len(items), size)]


def matchkeys(values: list[Any], keys: list[Any], search: list[Any]) -> list[Any]:
    """``matchkeys``: the values whose key (same position) is in the search set."""
    if len(values) != len(keys):
        raise FunctionError("matchkeys() lists must have the same length")
    return [v for v, k in zip(values, keys, strict=True) if k in search]


def transpose(mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """``transpose``: a map of lists of strings turned inside out."""
    result: dict[str, list[str]] = {}
    for key in sorted(mapping):
        for value in mapping[key]:
            result.setdefault(value, []).append(key)
    return {k: sorted(v) for k, v in sorted(result.items())}


def setproduct(*sets: Any) -> list[list[Any]]:
    """``setproduct``: every combination of one element from each argument."""
    if not sets:
        raise FunctionError("setproduct() needs at least one argument")
    total = 1
    for item in sets:
        total *= len(item)
    if total > 100_000:
        raise FunctionError(f"setproduct() would produce {total} combinations")
    return [list(combination) for combination in itertools.product(*sets)]


def setunion(*sets: Any) -> list[Any]:
    """``setunion``."""
    return to_set([item for s in sets for item in s])


def setintersection(first: Any, *others: Any) -> list[Any]:
    """``setintersection``."""
    return to_set([item for item in first if all(item in other for other in others)])


def setsubtract(first: Any, second: Any) -> list[Any]:
    """``setsubtract``."""
    return to_set([item for item in first if item not in second])


def sort(items: list[Any]) -> list[str]:
    """``sort``: strings in lexical order."""
    if not all(isinstance(i, str | int | float) and not isinstance(i, bool) for i in items):
        raise FunctionError("sort() takes a list of strings")
    return sorted(str(i) if not isinstance(i, str) else i for i in items)


def sum_(items: list[Any]) -> int | float:
    """``sum``: of numbers."""
    if not items:
        raise FunctionError("sum() of an empty list")
    if not all(isinstance(i, int | float) and not isinstance(i, bool) for i in items):
        raise FunctionError("sum() takes numbers")
    return sum(items)


def zipmap(keys: list[Any], values: list[Any]) -> dict[str, Any]:
    """``zipmap``: keys and values of the same length into a map."""
    if len(keys) != len(values):
        raise FunctionError("zipmap() lists must have the same length")
    return dict(zip((str(k) for k in keys), values, strict=True))


def _all_bool(items: list[Any], name: str) -> list[bool]:
    values = [{"true": True, "false": False}.get(i, i) if isinstance(i, str) else i for i in items]
    if not all(isinstance(v, bool) for v in values):
        raise FunctionError(f"{name}() takes a list of bools")
    return values


FUNCTIONS = {
    "alltrue": lambda items: all(_all_bool(items, "alltrue")),
    "anytrue": lambda items: any(_all_bool(items, "anytrue")),
    "chunklist": chunklist,
    "coalesce": coalesce,
    "coalescelist": coalescelist,
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "concat": concat,
    "contains": lambda items, value: value in items,
    "distinct": distinct,
    "element": element,
    "flatten": flatten,
    "index": index,
    "keys": lambda mapping: sorted(mapping),
    "length": lambda value: len(value),
    "lookup": lookup,
    "matchkeys": matchkeys,
    "merge": merge,
    "one": one,
    "range": range_,
    "reverse": lambda items: list(reversed(items)),
    "setintersection": setintersection,
    "setproduct": setproduct,
    "setsubtract": setsubtract,
    "setunion": setunion,
    "slice": slice_,
    "sort": sort,
    "sum": sum_,
    "transpose": transpose,
    "values": lambda mapping: [mapping[k] for k in sorted(mapping)],
    "zipmap": zipmap,
}
"""Collection functions by name."""
