"""Numeric and type-conversion functions."""

from __future__ import annotations

import math
from typing import Any

from providers.terraform.functions.collection import to_set
from providers.terraform.functions.errors import FunctionError
from providers.terraform.functions.text import to_string


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or value is None:
        raise FunctionError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise FunctionError(f"{value!r} is not a number") from None


def _whole(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def parseint(text: str, base: int) -> int:
    """``parseint``: a string of digits in base 2 to 62."""
    if not 2 <= base <= 62:
        raise FunctionError("parseint() base must be between 2 and 62")
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    value = str(text)
    sign = -1 if value.startswith("-") else 1
    value = value.lstrip("+-")
    if base <= 36:
        value = value.lower()
    total = 0
    for char in value:
        position = digits.find(char)
        if position < 0 or position >= base:
            raise FunctionError(f"{text!r} is not a number in base {base}")
        total = total * base + position
    if not value:
        raise FunctionError("parseint() of an empty string")
    return sign * total


def tonumber(value: Any) -> Any:
    """``tonumber``: null stays null."""
    return None if value is None else _number(value)


def tobool(value: Any) -> Any:
    """``tobool``: a bool or the strings "true"/"false"; null stays null."""
    if value is None or isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise FunctionError(f"{value!r} is not a bool")


def tostring(value: Any) -> Any:
    """``tostring``: null stays null."""
    return None if value is None else to_string(value)


def tolist(value: Any) -> Any:
    """``tolist``: a list, set or tuple as a list."""
    if value is None or isinstance(value, list):
        return value
    raise FunctionError("tolist() takes a list, set or tuple")


def tomap(value: Any) -> Any:
    """``tomap``: an object as a map."""
    if value is None or isinstance(value, dict):
        return value
    raise FunctionError("tomap() takes a map or object")


FUNCTIONS = {
    "abs": lambda n: abs(_number(n)),
    "ceil": lambda n: math.ceil(_number(n)),
    "floor": lambda n: math.floor(_number(n)),
    "log": lambda n, base: math.log(_number(n), _number(base)),
    "max": lambda *n: max(_number(x) for x in n),
    "min": lambda *n: min(_number(x) for x in n),
    "parseint": parseint,
    "pow": lambda n, e: _whole(math.pow(_number(n), _number(e))),
    "signum": lambda n: (_number(n) > 0) - (_number(n) < 0),
    "tobool": tobool,
    "tolist": tolist,
    "tomap": tomap,
    "tonumber": tonumber,
    "toset": lambda value: None if value is None else to_set(value),
    "tostring": tostring,
    # Sensitivity is not tracked: the value is what Terraform computes.
    "sensitive": lambda value: value,
    "nonsensitive": lambda value: value,
    "ephemeralasnull": lambda value: value,
}
"""Numeric and conversion functions by name."""
