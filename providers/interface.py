"""The boundary every provider implements: an input goes in, an ``Inventory`` comes out.

Providers read their input (files, plans, cloud APIs) and normalise it; they never import
policies or reporters. A provider does not raise for bad input it can skip: it records a
``CoverageGap`` (path, line, reason) and carries on. ``InputError`` is for an input that
cannot be read at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from providers.semantics.classification import ClassificationRules
from providers.semantics.estate import EstateMap


class ProviderError(Exception):
    """Base of every error a provider raises."""


class InputError(ProviderError):
    """An input cannot be scanned at all: it does not exist, or is no kind offshore-scan reads."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        super().__init__(f"{path}{f':{line}' if line else ''}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class OptionError(ProviderError):
    """An option given to a provider is invalid (a malformed ``--var``, an unknown ``--cluster-region``)."""


@dataclass(frozen=True)
class ScanOptions:
    """What every provider needs to judge its input, whatever the input: who is DWP, who is behind ids.

    Options that only one adapter understands are that adapter's own (``providers.terraform.options``,
    ``providers.kubernetes.options``).
    """

    rules: ClassificationRules = field(default_factory=ClassificationRules)
    """How DWP resources are recognised."""
    estate: EstateMap = field(default_factory=EstateMap)
    """Who is behind accounts, tenants, principals and networks (the config's ``estate``)."""
    endpoints: tuple[tuple[str, str], ...] = ()
    """Extra telemetry host -> country mappings (the config's ``endpoints``)."""
    members: tuple[tuple[str, str], ...] = ()
    """Accounts known to be the estate's own however the input is split (an organisation's members in a live
    ``--org`` scan), each with how it is known; other accounts are the estate's own only when the input shows it."""
    max_file_bytes: int = 20 * 1024 * 1024
    """A file larger than this is not read (``--max-file-size``): it is a gap naming it, and the rest is scanned."""
    skip_paths: tuple[str, ...] = ()
    """Globs (``--skip-path``) of files and directories a directory walk does not read, matched against the path
    relative to the scanned root (``skipped_by``)."""

    def fingerprint(self) -> str:
        """A short hash of everything here that changes what a scan decides (who is DWP, who is behind ids,
        where endpoints are), written canonically, so two runs can tell whether they judged alike."""
        import hashlib
        import json

        rules, estate = self.rules, self.estate

        def patterns(matchers: Any) -> list[str]:
            return [str(getattr(m, "pattern", m)) for m in matchers]

        canonical = {
            "classification_keys": sorted(rules.classification_keys), "owner_keys": sorted(rules.owner_keys),
            "owner_patterns": patterns(rules.owner_patterns),
            "extra_tags": sorted((key, patterns(value)) for key, value in rules.extra_tags.items()),
            "dwp_scopes": sorted(rules.dwp_scopes), "scope_all": rules.scope_all,
            "estate": {name: sorted((key, repr(party)) for key, party in getattr(estate, name).items())
                       for name in ("accounts", "tenants", "principals", "networks", "locations")},
            "endpoints": sorted(self.endpoints),
        }
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:16]


def skipped_by(root: Path, path: Path, patterns: tuple[str, ...]) -> str | None:
    """The ``--skip-path`` glob that skips ``path`` (a file or directory under ``root``), or None. Matched against
    the path relative to the root with ``/`` separators, as Checkov and Trivy match theirs (``*`` also crosses
    ``/``); a pattern that matches a directory skips everything under it, since the walk never enters it."""
    if not patterns:
        return None
    import fnmatch

    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return None
    if relative in ("", "."):
        return None
    return next((p for p in patterns if fnmatch.fnmatchcase(relative, p.strip().removeprefix("./").strip("/"))),
                None)


def unreadable(error: BaseException, what: str = "file") -> tuple[int | None, str]:
    """(line, reason) for a file that could not be read, as a person says it: ``cannot read file: not UTF-8 text:
    byte 0xe9 at offset 50`` (on line 2) for a file in another encoding, the system's reason (``Permission
    denied``) otherwise; never a codec's own wording."""
    if isinstance(error, UnicodeDecodeError) and isinstance(error.object, bytes | bytearray):
        data, start = bytes(error.object), error.start
        if start < len(data):
            encoding = "UTF-8" if error.encoding.lower().startswith("utf-8") else error.encoding.upper()
            return (data.count(b"\n", 0, start) + 1,
                    f"cannot read {what}: not {encoding} text: byte 0x{data[start]:02x} at offset {start} "
                    "(re-save it as UTF-8)")
    if isinstance(error, OSError):
        return None, f"cannot read {what}: {error.strerror or error}"
    return None, f"cannot read {what}: {error}"


def too_large(size: int, limit: int) -> str:
    """Why a file was not read: its size against the limit, in megabytes."""
    return (f"the file is {size / 1_048_576:.1f} MB, over the {limit / 1_048_576:.0f} MB limit, so it was not read "
            "(raise it with --max-file-size)")
