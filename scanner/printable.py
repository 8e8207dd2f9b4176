"""Text that cannot forge a report: control characters and line breaks in values and paths are escaped.

A tag value, a file name or a manifest field is the scanned estate's, not ours: printed raw, a newline in one
would add a line to the report (``Summary: 0 fail``), and an escape sequence would drive the terminal. The text
report is built from values passed through here, whether or not standard output is a terminal.

Every format (not only text) passes its values through ``encodable``: a lone surrogate (from a JSON ``\\ud800``
escape, an undecodable file name, a plan's tag) cannot be written as UTF-8 at all, so it is written as its escape
and the rest of the report is kept, where it would otherwise stop the whole report. SARIF is the one format that
passes its document through here itself, after its URIs are made: a file name's undecodable bytes are
percent-encoded there (``st%E9rage.tf``), as a URI writes a byte, and its escape would read as a path separator.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

_T = TypeVar("_T")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNENCODABLE = re.compile(r"[\ud800-\udfff]")


def escape(text: str) -> str:
    """``text`` with every control, line-separator and bidirectional character written as an escape."""
    return _escape(text, _UNPRINTABLE)


def escaped(value: _T) -> _T:
    """A frozen value (a finding, an inventory) with every string inside it escaped."""
    return _walk(value, _UNPRINTABLE)  # type: ignore[no-any-return]


def encodable(value: _T) -> _T:
    """A frozen value with every lone surrogate in its strings written as its escape (``\\udc80``), the rest as
    it was: what every format needs to be written as UTF-8."""
    return _walk(value, _UNENCODABLE)  # type: ignore[no-any-return]


def _walk(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return _escape(value, pattern) if pattern.search(value) else value
    if isinstance(value, tuple):
        return tuple(_walk(v, pattern) for v in value)
    if isinstance(value, list):
        return [_walk(v, pattern) for v in value]
    if isinstance(value, dict):
        return {_walk(k, pattern): _walk(v, pattern) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _walk(getattr(value, f.name), pattern) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _escape(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(_escaped_character, text)


def _escaped_character(match: re.Match[str]) -> str:
    """One character as its escape. A surrogate U+DC80..U+DCFF is a byte that was not UTF-8 (Python reads an
    undecodable file name, ``st\\xe9rage.tf`` in Latin-1, with ``surrogateescape``): it is written as that byte,
    ``\\xe9``, in every format and on standard error alike, as the name's bytes are, never as ``\\udce9``."""
    character = match.group(0)
    if "\udc80" <= character <= "\udcff":
        return f"\\x{ord(character) - 0xDC00:02x}"
    return character.encode("unicode_escape").decode("ascii")
