"""Paths as code-scanning tools want them: relative to the scan's base directory, POSIX-style.

Decided from the text alone: a path may come from a merged result written on another host, and asking this host's
file system about it (``exists``, ``realpath``) would probe files the report has no business with and make the
report depend on where it is written. A live source (``111122223333/eu-west-2``, a subscription, ``aws``) is told
apart by its shape; a file path outside the base directory is never written as ``../``: reporters mark it as outside.
"""

from __future__ import annotations

import ntpath
import posixpath
import re

_LIVE = re.compile(r"(?:[0-9]{12}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|managementGroups)(?:/|$)")


def relative_path(path: str, base: str | None) -> str | None:
    """``path`` relative to ``base`` with forward slashes; None when it is not a file path (a live source such as
    ``111122223333/eu-west-2``, standard input) or lies outside ``base`` (see ``outside_base``)."""
    relative = _relative(path, base)
    return None if relative is None or _escapes(relative) else relative


def outside_base(path: str, base: str | None) -> bool:
    """True for a file path that is not under ``base`` (an absolute path elsewhere, ``../``, another drive)."""
    if not _is_file_path(path):
        return False
    relative = _relative(path, base)
    return relative is None or _escapes(relative)


def _is_file_path(path: str) -> bool:
    if not path or path == "-" or path.startswith("<") or _LIVE.match(path):
        return False
    # A bare word ("aws", "merge", "organisation o-abc") names a scope, not a file: inputs have a suffix or a folder.
    return "/" in path or "\\" in path or "." in path


def _relative(path: str, base: str | None) -> str | None:
    if not _is_file_path(path):
        return None
    if ntpath.splitdrive(path)[0] or path.startswith("\\\\"):
        return None  # a Windows drive or share: never under a POSIX base, and never written absolute
    posix = path.replace("\\", "/")
    if base is not None and posixpath.isabs(posix):
        posix = posixpath.relpath(posixpath.normpath(posix), posixpath.normpath(base.replace("\\", "/")))
    elif posixpath.isabs(posix):
        return None
    normal = posixpath.normpath(posix)
    return None if normal in (".", "") else normal


def _escapes(relative: str) -> bool:
    return relative == ".." or relative.startswith("../")
