"""Regular expressions from the config file, run by a linear-time engine so no pattern can hang a scan.

``owner_patterns`` and ``dwp.tags`` are the user's; Python's backtracking engine would take hours on a pattern
such as ``(a+)+$`` against a long tag value. RE2 (google-re2) matches in time linear in the input, and refuses
the few constructs that cannot be (backreferences, lookaround), with a message saying so.
"""

from __future__ import annotations

from typing import Any, Protocol


class Matcher(Protocol):
    """What the classification rules need of a compiled pattern (Python's ``re`` or RE2)."""

    pattern: Any

    def search(self, text: str) -> Any:
        """A match anywhere in ``text``, or None."""
        ...


class PatternError(ValueError):
    """A config pattern that cannot be run in linear time, or is not a regular expression at all."""


def compile_linear(pattern: str) -> Matcher:
    """``pattern`` compiled by RE2; ``PatternError`` for one it refuses."""
    import re2  # imported here: only a config with patterns needs it

    options = re2.Options()
    options.log_errors = False  # the refusal is said once, in our own words
    try:
        return re2.compile(pattern, options)  # type: ignore[no-any-return]
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise PatternError(
            f"regular expression {pattern!r} is refused ({reason}): patterns run in linear time (RE2 syntax), "
            "so backreferences and lookaround are not available"
        ) from None
