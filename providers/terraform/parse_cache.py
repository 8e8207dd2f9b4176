"""A content-addressed cache of parsed HCL files, so an unchanged file is never parsed twice.

An entry's key is the SHA-256 of the parser version and the file's bytes, so a changed file, a new
offshore-scan or a new front end misses by construction, and two checkouts of the same module share
entries. Entries are written to a temporary file and renamed into place (atomic on POSIX and
Windows), so concurrent runs never see half an entry. Every read is verified: an entry that is
truncated, corrupt, holds anything but syntax nodes or was made for another file's content (each entry names
its key) is deleted and the file re-parsed; an entry is never trusted. The directory is created private (0700);
one that another user owns or can write to is not used at all. The directory is kept under a size bound by
deleting the oldest entries.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
from dataclasses import replace
from pathlib import Path

from providers.terraform import hcl_syntax as syn

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
"""The cache is pruned to this size (oldest entries first) when a run has added to it."""

_MAGIC = b"offshore-scan parse cache\n"
_DIGEST = hashlib.sha256().digest_size
_ALLOWED = {
    "providers.terraform.hcl_syntax": {
        "HclFile", "Block", "Attribute", "Literal", "Template", "Variable", "GetAttr", "Index", "Splat",
        "Call", "TupleExpr", "ObjectExpr", "BinaryOp", "UnaryOp", "Conditional", "ForExpr", "Opaque", "TooLarge",
        "HclSyntaxError",
    },
    "builtins": {"dict", "tuple", "list", "str", "int", "float", "bool", "frozenset", "set"},
}


class ParseCache:
    """Parsed files by content hash, under ``directory/hcl-<parser version>``."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory / f"hcl-{syn.PARSER_VERSION}"
        self.max_bytes = max_bytes
        self.written = 0
        self.distrusted: str | None = _distrust(directory)
        """Why the cache is not used at all (a directory another user could write to), or None."""

    @staticmethod
    def key(text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        return hashlib.sha256(syn.PARSER_VERSION.encode() + b"\0" + data).hexdigest()

    def get(self, key: str, path: str) -> syn.HclFile | syn.HclSyntaxError | None:
        """The entry for ``key`` as the file at ``path``, or None (absent, or bad and now deleted)."""
        if self.distrusted is not None:
            return None
        entry = self._entry(key)
        try:
            blob = entry.read_bytes()
        except OSError:
            return None
        value = _decode(blob, key)
        if value is None:
            entry.unlink(missing_ok=True)
            return None
        return replace(value, path=path) if isinstance(value, syn.HclFile) else value

    def put(self, key: str, value: syn.HclFile | syn.HclSyntaxError) -> None:
        """Store a result; a cache that cannot be written costs speed, never the scan."""
        if self.distrusted is not None:
            return
        try:
            payload = pickle.dumps(replace(value, path="") if isinstance(value, syn.HclFile) else value,
                                   protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError, TypeError):
            return
        # The entry names the content it was parsed from: an entry copied or renamed under another file's key is
        # refused on read, never used to parse one file as another.
        bound = key.encode("ascii")
        blob = _MAGIC + bound + hashlib.sha256(bound + payload).digest() + payload
        entry = self._entry(key)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, entry)
        except OSError:
            return
        self.written += len(blob)

    def prune(self) -> None:
        """Delete the oldest entries until the cache is within its bound (only after a run added some)."""
        if not self.written:
            return
        entries = []
        try:
            for shard in os.scandir(self.directory):
                if shard.is_dir(follow_symlinks=False):
                    for entry in os.scandir(shard.path):
                        stat = entry.stat(follow_symlinks=False)
                        entries.append((stat.st_mtime, stat.st_size, entry.path))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / key[2:]


def _distrust(directory: Path) -> str | None:
    """Why a cache directory must not be believed, or None: it is created private (0700); one that exists must be
    the user's own and writable by nobody else, or another user could plant entries."""
    try:
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
            return None
        info = directory.stat()
    except OSError as error:
        return f"{directory}: {error.strerror or error}"
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return f"{directory} belongs to another user"
    if info.st_mode & 0o022:
        return f"{directory} can be written by other users (chmod 700 it, or remove it)"
    return None


def _decode(blob: bytes, key: str) -> syn.HclFile | syn.HclSyntaxError | None:
    bound = key.encode("ascii")
    header = len(_MAGIC) + len(bound) + _DIGEST
    if not blob.startswith(_MAGIC + bound) or len(blob) < header:
        return None
    digest, payload = blob[header - _DIGEST : header], blob[header:]
    if hashlib.sha256(bound + payload).digest() != digest:
        return None
    try:
        value = _NodesOnly(io.BytesIO(payload)).load()
    except Exception:
        return None
    return value if isinstance(value, syn.HclFile | syn.HclSyntaxError) else None


class _NodesOnly(pickle.Unpickler):
    """Unpickles syntax nodes and plain values, nothing else: an entry can never run code."""

    def find_class(self, module: str, name: str) -> type:
        if name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a syntax node")
