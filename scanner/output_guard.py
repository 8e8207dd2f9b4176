"""A report never overwrites what the command read: not through the same path, a symlink or a hard link.

``merge -o shard-0.json shard-*.json`` or ``scan infra -o infra/main.tf`` would otherwise destroy an input with the
report of it. Two names are one file when ``os.stat`` gives the same device and inode (which sees hard links and
symlinks) or when they resolve to the same path (which sees a file that does not exist yet behind a symlink).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def overwritten_input(output: Path, inputs: Iterable[Path]) -> Path | None:
    """The first of ``inputs`` that writing ``output`` would overwrite, or None."""
    output_id = _identity(output)
    output_path = _resolved(output)
    for given in inputs:
        if str(given) == "-":
            continue
        if output_id is not None and _identity(given) == output_id:
            return given
        if output_path is not None and _resolved(given) == output_path:
            return given
    return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name the system refuses
        return None
