"""String functions: ``format``, ``replace``, ``regex``, ``substr``, ``title`` and the rest."""

from __future__ import annotations

import json
import re
from typing import Any

from providers.terraform.functions.errors import FunctionError


def to_string(value: Any) -> str:
    """A primitive as Terraform converts it to a string; a collection is an error."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise FunctionError("a collection cannot be converted to a string")
    if value is None:
        raise FunctionError("null cannot be converted to a string")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_VERB = re.compile(r"%(\[\d+\])?([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])")


def format_(spec: str, *args: Any) -> str:
    """``format``: Go-style verbs (``%s``, ``%d``, ``%q``, ``%v``, ``%#v``, ``%f``...) as Terraform has them."""
    position = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal position
        explicit, flags, width, precision, verb = match.groups()
        if verb == "%":
            return "%"
        if explicit:
            position = int(explicit[1:-1]) - 1
        if position >= len(args):
            raise FunctionError("too few arguments for the format string")
        value = args[position]
        position += 1
        if (verb == "v" and "#" in flags) or verb == "q":
            return json.dumps(value if verb != "q" else to_string(value))
        if verb in "dboxXeEfgG":
            number = float(value) if verb in "eEfgG" else int(value)
            python_flags = flags.replace("#", "")
            spec_text = f"{python_flags}{width}{'.' + precision if precision else ''}{verb}"
            return format(number, spec_text)
        if verb == "t":
            if not isinstance(value, bool):
                raise FunctionError("%t needs a bool")
            text = "true" if value else "false"
        else:
            text = json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) else to_string(value)
        if precision:
            text = text[: int(precision)]
        return text.ljust(int(width)) if "-" in flags and width else text.rjust(int(width or 0))

    return _VERB.sub(replace, spec)


def formatlist(spec: str, *args: Any) -> list[str]:
    """``formatlist``: ``format`` over lists of equal length (a primitive argument repeats)."""
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise FunctionError("formatlist() lists must all have the same length")
    count = lengths.pop() if lengths else 1
    return [format_(spec, *(a[i] if isinstance(a, list) else a for a in args)) for i in range(count)]


def replace(text: Any, search: str, replacement: str) -> str:
    """``replace``: a search wrapped in slashes is a regular expression (``$1`` refers to groups)."""
    value = to_string(text)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        pattern = _regex(search[1:-1])
        return pattern.sub(re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", replacement), value)
    return value.replace(search, replacement)


def _regex(pattern: str) -> re.Pattern[str]:
    # RE2 and Python agree on what modules write; named groups are spelled (?P<name>) in both.
    try:
        return re.compile(pattern)
    except re.error as error:
        raise FunctionError(f"invalid regular expression: {error}") from None


def _match_value(match: re.Match[str]) -> Any:
    if match.re.groupindex:
        return {name: match.group(name) for name in match.re.groupindex}
    if match.re.groups:
        return list(match.groups())
    return match.group(0)


def regex(pattern: str, text: str) -> Any:
    """``regex``: the first match: the string, a list of groups, or a map of named groups."""
    match = _regex(pattern).search(text)
    if match is None:
        raise FunctionError("regex() found no match")
    return _match_value(match)


def regexall(pattern: str, text: str) -> list[Any]:
    """``regexall``: every match, as ``regex`` gives one."""
    return [_match_value(m) for m in _regex(pattern).finditer(text)]


def substr(text: str, offset: int, length: int) -> str:
    """``substr``: a negative offset counts from the end; length -1 means to the end."""
    value = to_string(text)
    start = offset if offset >= 0 else max(len(value) + offset, 0)
    return value[start:] if length < 0 else value[start : start + length]


def title(text: str) -> str:
    """``title``: the first letter of each word upper-cased, the rest left as written."""
    return re.sub(r"\b\w", lambda m: m.group(0).upper(), to_string(text))


def indent(spaces: int, text: str) -> str:
    """``indent``: every line but the first indented."""
    return to_string(text).replace("\n", "\n" + " " * int(spaces))


def chomp(text: str) -> str:
    """``chomp``: trailing newlines removed."""
    return re.sub(r"(\r\n|\n|\r)+$", "", to_string(text))


def join(separator: str, *lists: Any) -> str:
    """``join``: the elements of one or more lists, joined."""
    return separator.join(to_string(item) for items in lists for item in items)


def split(separator: str, text: str) -> list[str]:
    """``split``: an empty string gives one empty element, as in Terraform."""
    return to_string(text).split(separator) if separator else list(to_string(text))


FUNCTIONS = {
    "chomp": chomp,
    "endswith": lambda s, suffix: to_string(s).endswith(suffix),
    "format": format_,
    "formatlist": formatlist,
    "indent": indent,
    "join": join,
    "lower": lambda s: to_string(s).lower(),
    "regex": regex,
    "regexall": regexall,
    "replace": replace,
    "split": split,
    "startswith": lambda s, prefix: to_string(s).startswith(prefix),
    "strcontains": lambda s, part: part in to_string(s),
    "strrev": lambda s: to_string(s)[::-1],
    "substr": substr,
    "title": title,
    "trim": lambda s, chars: to_string(s).strip(chars),
    "trimprefix": lambda s, prefix: to_string(s).removeprefix(prefix),
    "trimsuffix": lambda s, suffix: to_string(s).removesuffix(suffix),
    "trimspace": lambda s: to_string(s).strip(),
    "upper": lambda s: to_string(s).upper(),
}
"""String functions by name."""
