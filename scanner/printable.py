"""Text that cannot forge a report: control characters and line breaks in values and paths are escaped.

A tag value, a file name or a manifest field is the scanned estate's, not ours: printed raw, a newline in one
would add a line to the report (``Summary: 0 fail``), and an escape sequence would drive the terminal. The text
report is built from values passed through here, whether or not standard output is a terminal.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

_T = TypeVar("_T")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """``text`` with every control, line-separator and bidirectional character written as an escape."""
    return _UNPRINTABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def escaped(value: _T) -> _T:
    """A frozen value (a finding, an inventory) with every string inside it escaped."""
    return _walk(value)  # type: ignore[no-any-return]


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value) if _UNPRINTABLE.search(value) else value
    if isinstance(value, tuple):
        return tuple(_walk(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _walk(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
