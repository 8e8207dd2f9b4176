"""Terraform's filesystem functions (``file``, ``fileexists``, ``fileset``, ``filebase64``, the file hashes)
and ``path.*``, over the files of the scanned tree only.

Configuration reads its own files (``yamldecode(file("${path.module}/config.yaml"))``), so the scan reads
them too, relative to the root module's directory as Terraform does. Only inside the scanned tree: a
path that leads outside it (``..``, an absolute path, a symlink out) is never opened and its value is
unknown, saying so; a file that is missing is an evaluation error (``try()`` catches it); a file over
the scan's size limit is unknown. ``templatefile`` reads through ``FileAccess.read`` and is rendered by
the evaluator (``expressions``).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from providers.interface import too_large
from providers.semantics.records import Unknown
from providers.terraform.functions.errors import FunctionError

MAX_FILESET_ENTRIES = 100_000
"""Directory entries one ``fileset`` call may walk; past it the result is unknown."""


@dataclass(frozen=True)
class FileAccess:
    """What configuration may read: files under ``roots``, relative paths from ``cwd``."""

    roots: tuple[Path, ...]
    """The scanned trees, resolved (symlinks followed)."""
    cwd: Path
    """Where Terraform would run: the root module's directory; relative paths start here."""
    max_bytes: int | None = None
    """The scan's file size limit."""
    display: Callable[[Path | str], str] = field(default=str)
    """A path as the user will recognise it."""

    def resolve(self, path: str) -> Path | Unknown:
        """The file a path names, or an unknown when it is outside the scanned tree."""
        candidate = Path(path) if os.path.isabs(path) else self.cwd / path
        resolved = Path(os.path.realpath(candidate))
        if any(resolved == root or resolved.is_relative_to(root) for root in self.roots):
            return resolved
        shown = os.path.normpath(self.display(candidate))
        if os.path.islink(candidate):
            shown += f" (a link to {resolved})"
        return Unknown(f"{shown} is outside the scanned tree, and offshore-scan reads no file outside it (scan the "
                       "directory that holds it)")

    def read(self, path: str) -> bytes | Unknown:
        """A file's bytes; an unknown outside the tree or over the size limit; ``FunctionError`` when
        there is no such file, as Terraform fails."""
        resolved = self.resolve(path)
        if isinstance(resolved, Unknown):
            return resolved
        shown = self.display(self.cwd / path) if not os.path.isabs(path) else path
        try:
            status = resolved.stat()
        except FileNotFoundError:
            raise FunctionError(f"no file {shown}") from None
        except OSError as error:
            return Unknown(f"{shown} cannot be read: {error.strerror or error}")
        if stat.S_ISDIR(status.st_mode):
            raise FunctionError(f"{shown} is a directory, not a file")
        if not stat.S_ISREG(status.st_mode):
            return Unknown(f"{shown} is not a regular file (a FIFO, device or socket); it was not read")
        if self.max_bytes is not None and status.st_size > self.max_bytes:
            return Unknown(f"{shown}: {too_large(status.st_size, self.max_bytes)}")
        try:
            return resolved.read_bytes()
        except OSError as error:
            return Unknown(f"{shown} cannot be read: {error.strerror or error}")

    def text(self, path: str) -> str | Unknown:
        """A file's text (UTF-8, as Terraform requires)."""
        data = self.read(path)
        if isinstance(data, Unknown):
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise FunctionError(f"{path} is not UTF-8 text (use filebase64 for binary files)") from None


def path_value(name: str, module_directory: Path, root_directory: Path) -> Any:
    """``path.module``, ``path.root`` and ``path.cwd`` as Terraform gives them: the first two relative to
    where Terraform runs (the root module's directory), ``path.cwd`` absolute."""
    if name == "module":
        return Path(os.path.relpath(module_directory, root_directory)).as_posix()
    if name == "root":
        return "."
    if name == "cwd":
        return Path(os.path.abspath(root_directory)).as_posix()
    return Unknown(f"path.{name} is not a path Terraform defines (module, root, cwd)")


def _file(access: FileAccess, path: Any) -> Any:
    return access.text(str(path))


def _fileexists(access: FileAccess, path: Any) -> Any:
    resolved = access.resolve(str(path))
    if isinstance(resolved, Unknown):
        return resolved
    if resolved.is_dir():
        raise FunctionError(f"{path} is a directory, not a file")
    return resolved.is_file()


def _fileset(access: FileAccess, base: Any, pattern: Any) -> Any:
    resolved = access.resolve(str(base))
    if isinstance(resolved, Unknown):
        return resolved
    matcher = _glob(str(pattern))
    found: set[str] = set()
    walked = 0
    for directory, subdirs, filenames in os.walk(resolved):
        subdirs.sort()
        walked += len(subdirs) + len(filenames)
        if walked > MAX_FILESET_ENTRIES:
            return Unknown(f"fileset() over {base} walks more than {MAX_FILESET_ENTRIES:,} entries")
        for name in filenames:
            full = Path(directory) / name
            relative = full.relative_to(resolved).as_posix()
            # A symlink out of the scanned tree is never listed: what it names is not read.
            if matcher(relative) and full.is_file() and not isinstance(access.resolve(str(full)), Unknown):
                found.add(relative)
    return sorted(found)


def _glob(pattern: str) -> Callable[[str], bool]:
    """A matcher for Terraform's fileset patterns: ``*`` and ``?`` within one path segment, ``**`` across
    segments, ``[...]`` classes and ``{a,b}`` alternatives."""
    regex = _glob_regex(PurePosixPath(pattern).as_posix().removeprefix("./"))
    compiled = re.compile(f"^{regex}$")
    return lambda path: compiled.match(path) is not None


def _glob_regex(pattern: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "{":
            end = pattern.find("}", index)
            if end == -1:
                raise FunctionError(f"fileset(): unclosed {{ in the pattern {pattern!r}")
            out.append("(?:" + "|".join(_glob_regex(a) for a in pattern[index + 1 : end].split(",")) + ")")
            index = end + 1
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                raise FunctionError(f"fileset(): unclosed [ in the pattern {pattern!r}")
            out.append(fnmatch.translate(pattern[index : end + 1]).removeprefix("(?s:").removesuffix(")\\Z"))
            index = end + 1
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


def _hashed(digest: Callable[[bytes], Any], encode: Callable[[Any], str]) -> Callable[[FileAccess, Any], Any]:
    def function(access: FileAccess, path: Any) -> Any:
        data = access.read(str(path))
        return data if isinstance(data, Unknown) else encode(digest(data))

    return function


def _hex(value: Any) -> str:
    return str(value.hexdigest())


def _b64(value: Any) -> str:
    return base64.b64encode(value.digest()).decode("ascii")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "file": _file,
    "fileexists": _fileexists,
    "fileset": _fileset,
    "filebase64": _hashed(lambda data: data, lambda data: base64.b64encode(data).decode("ascii")),
    "filemd5": _hashed(hashlib.md5, _hex),
    "filesha1": _hashed(hashlib.sha1, _hex),
    "filesha256": _hashed(hashlib.sha256, _hex),
    "filesha512": _hashed(hashlib.sha512, _hex),
    "filebase64sha256": _hashed(hashlib.sha256, _b64),
    "filebase64sha512": _hashed(hashlib.sha512, _b64),
}
"""Filesystem functions by name; each takes the ``FileAccess`` first, then Terraform's arguments."""
