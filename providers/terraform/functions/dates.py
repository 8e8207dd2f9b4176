"""Date and time functions that depend only on their arguments: ``formatdate``, ``timeadd``, ``timecmp``.

``timestamp()`` and ``plantimestamp()`` read the clock and are not here (see ``NOT_EVALUATED``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from providers.terraform.functions.errors import FunctionError


def _parse(timestamp: str) -> datetime:
    # RFC 3339, as Terraform requires: 2026-12-03T14:00:00Z or with an offset.
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise FunctionError(f"{timestamp!r} is not an RFC 3339 timestamp") from None


_DURATION = re.compile(r"([-+]?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def _duration(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    parts = _DURATION.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise FunctionError(f"{text!r} is not a duration such as \"1h30m\"")
    return timedelta(seconds=sign * sum(float(n) * _UNITS[u] for n, u in parts))


def _format_rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z")


def timeadd(timestamp: str, duration: str) -> str:
    """``timeadd``."""
    return _format_rfc3339(_parse(timestamp) + _duration(duration))


def timecmp(first: str, second: str) -> int:
    """``timecmp``: -1, 0 or 1."""
    a, b = _parse(first), _parse(second)
    return (a > b) - (a < b)


_TOKENS = re.compile(r"'(?:[^']|'')*'|YYYY|YY|MMMM|MMM|MM|M|DD|D|EEEE|EEE|hh|h|HH|H|AA|aa|mm|m|ss|s|ZZZZZ|ZZZZ|ZZZ|Z|.")


def formatdate(spec: str, timestamp: str) -> str:
    """``formatdate``: Terraform's tokens (``YYYY-MM-DD``, ``hh:mm``, ``EEE``, quoted literals)."""
    moment = _parse(timestamp)
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)

    def token(text: str) -> str:
        if text.startswith("'"):
            return text[1:-1].replace("''", "'")
        values = {
            "YYYY": f"{moment.year:04d}", "YY": f"{moment.year % 100:02d}",
            "MMMM": moment.strftime("%B"), "MMM": moment.strftime("%b"),
            "MM": f"{moment.month:02d}", "M": str(moment.month),
            "DD": f"{moment.day:02d}", "D": str(moment.day),
            "EEEE": moment.strftime("%A"), "EEE": moment.strftime("%a"),
            "hh": f"{moment.hour:02d}", "h": str(moment.hour),
            "HH": f"{(moment.hour % 12) or 12:02d}", "H": str((moment.hour % 12) or 12),
            "AA": "AM" if moment.hour < 12 else "PM", "aa": "am" if moment.hour < 12 else "pm",
            "mm": f"{moment.minute:02d}", "m": str(moment.minute),
            "ss": f"{moment.second:02d}", "s": str(moment.second),
            "ZZZZZ": "Z" if minutes == 0 else f"{sign}{hours:02d}:{rest:02d}",
            "ZZZZ": f"{sign}{hours:02d}{rest:02d}",
            "ZZZ": "UTC" if minutes == 0 else f"{sign}{hours:02d}{rest:02d}",
            "Z": "Z" if minutes == 0 else f"{sign}{hours:02d}:{rest:02d}",
        }
        return values.get(text, text)

    return "".join(token(match.group(0)) for match in _TOKENS.finditer(spec))


FUNCTIONS = {"formatdate": formatdate, "timeadd": timeadd, "timecmp": timecmp}
"""Date and time functions by name."""
