"""Paths as code-scanning tools want them: relative to the scan's base directory, POSIX-style."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def relative_path(path: str, base: str | None) -> str | None:
    """``path`` relative to ``base`` with forward slashes (``../`` when outside it: never absolute); None
    when it is not a file on disk (a live source such as ``111122223333/eu-west-2``, standard input)."""
    if not path or path == "-" or path.startswith("<"):
        return None
    candidate = Path(path)
    if base is not None:
        absolute = candidate if candidate.is_absolute() else Path(base) / candidate
        if not absolute.exists():
            return None
        try:
            candidate = Path(os.path.relpath(absolute, base))
        except ValueError:  # another drive on Windows
            return None
    elif candidate.is_absolute() or not candidate.exists():
        return None
    posix = PurePosixPath(*candidate.parts).as_posix()
    return posix.lstrip("/") or None
