"""No secret in any report: values whose names say secret, and values that look like keys, are redacted.

Provenance shows the settings behind a judgement (``var.db_password = "..." (default, main.tf:3)``), and a scan
reads estates full of credentials. Every string a report prints passes through ``redact`` before any reporter
sees it, so every output format, present and future, is covered by one rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import replace

from scanner.model import CoverageGap, Finding, Inventory, Location, Resource

REDACTED = "(sensitive)"

_SECRET_NAME = (r"[\w.\-\[\]\"']*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
                r"credential|connection[_-]?string|conn[_-]?str|sas[_-]?key|license[_-]?key|auth)[\w.\-\[\]\"']*")
# `NAME = VALUE` and `NAME: VALUE` where the name says secret: the value (quoted, or up to a space) goes.
# A value already redacted stays as it is: redaction runs again on a saved result that is merged (idempotent).
_ASSIGNMENT = re.compile(rf"(?i)(\b{_SECRET_NAME}\s*[=:]\s*)(?!\(sensitive\))"
                         rf"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s,)]+)")
# Values that are keys whatever they are called.
_KEY_SHAPES = re.compile(
    r"\bAKIA[0-9A-Z]{16}\b"                                # AWS access key id
    r"|\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}\b"           # a JWT
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r"|\b(?:xox[abprs]|ghp|gho|ghs|glpat|sk_live|sk_test)[-_][\w-]{10,}\b"  # Slack, GitHub, GitLab, Stripe tokens
    r"|(?<=://)[^/\s@'\"]+(?=@)"                            # userinfo of a URL (user:password@, a DSN's key@)
    r"|(?i:(?:AccountKey|SharedAccessKey|InstrumentationKey|sig)=)[^;&\s'\"]+"  # Azure connection strings, SAS
)


# Names of resources are never secrets, even when a secret-looking word is in them: an ARN (whose colons would
# read as `NAME: VALUE`, as in `arn:aws:secretsmanager:...:secret:claims-db`), and the ids and addresses of the
# report's resources (`aws_secretsmanager_secret.api_token: location not established`). They are held out of
# the patterns, unless they begin an assignment (`aws_ssm_parameter.db_password = ...`), whose value still goes.
_ARN = re.compile(r"\barn:aws[\w-]*:[\w-]+:[\w-]*:\d{0,12}:[^\s,;'\"()<>]*[^\s,;:'\"()<>.]")
_TOKEN = re.compile(r"[^\s,;'\"()<>=]+")
_ASSIGNED = re.compile(r"\s*=")
_HOLD = "\x00"
_HELD = re.compile(r"\x00(\d+)\x00")


@functools.lru_cache(maxsize=65536)
def redact(text: str, identifiers: frozenset[str] = frozenset()) -> str:
    """The text with every secret-looking value replaced by ``(sensitive)``; ARNs and ``identifiers`` (the ids
    and addresses of resources) are kept whole. Cached: a report repeats the same provenance steps for
    thousands of resources, and the patterns are the scan's costliest regexes."""
    if not text or not _may_hold_secret(text):
        return text
    held: list[str] = []
    if _HOLD not in text:  # a text that holds the marker itself is redacted without holding anything out
        text = _hold_names(text, identifiers, held)
    text = _ASSIGNMENT.sub(lambda m: m.group(0) if _is_held(m.group(2)) else m.group(1) + REDACTED, text)
    text = _KEY_SHAPES.sub(lambda m: _keep_label(m.group(0)), text)
    return _HELD.sub(lambda m: held[int(m.group(1))], text) if held else text


_CLUES = ("pass", "pwd", "secret", "token", "key", "credential", "conn", "auth", "akia", "eyj", "-----begin", "xox",
          "ghp", "gho", "ghs", "glpat", "sk_live", "sk_test", "://", "sig=")
"""Every pattern above needs one of these (lower-cased) in the text: a report's provenance mostly has none, and a
substring test is a hundred times cheaper than the patterns. Holding names out only ever prevents matches, so a text
with no clue is already clean."""


def _may_hold_secret(text: str) -> bool:
    lowered = text.lower()
    return any(clue in lowered for clue in _CLUES)


def _hold_names(text: str, identifiers: frozenset[str], held: list[str]) -> str:
    def hold(name: str, after: int) -> str | None:
        if _ASSIGNED.match(text, after):
            return None
        held.append(name)
        return f"{_HOLD}{len(held) - 1}{_HOLD}"

    def arn(match: re.Match[str]) -> str:
        return hold(match.group(0), match.end()) or match.group(0)

    def known(match: re.Match[str]) -> str:
        token = match.group(0)
        name = token.rstrip(":.")
        if name not in identifiers:
            return token
        return (hold(name, match.start() + len(name)) or name) + token[len(name):]

    text = _ARN.sub(arn, text)
    return _TOKEN.sub(known, text) if identifiers else text


def _is_held(value: str) -> bool:
    return _HELD.fullmatch(value.strip("'\"")) is not None


def _keep_label(found: str) -> str:
    # `AccountKey=...` keeps its label so the reader sees what was there.
    label = re.match(r"(?i)(AccountKey|SharedAccessKey|InstrumentationKey|sig)=", found)
    return f"{label.group(0)}{REDACTED}" if label else REDACTED


def _location(location: Location, names: frozenset[str]) -> Location:
    provenance = tuple(redact(s, names) for s in location.provenance)
    note = redact(location.note, names) if location.note else location.note
    if provenance == location.provenance and note == location.note:
        return location  # nothing to hide: no copy (most locations of a large report)
    return replace(location, provenance=provenance, note=note)


def _resource(resource: Resource, names: frozenset[str]) -> Resource:
    location = _location(resource.location, names)
    return resource if location is resource.location else replace(resource, location=location)


def _names(resources: Iterable[Resource], *more: Iterable[str]) -> frozenset[str]:
    """The ids and addresses a report names its resources by: kept whole wherever they are printed."""
    found = {name for r in resources for name in (r.id, r.object_id, r.source.address)}
    found.update(name for names in more for name in names)
    return frozenset(n for n in found if n)


def redact_findings(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Findings with every printed string redacted."""
    names = _names((f.resource for f in findings), (f.where.address for f in findings))
    return tuple(replace(
        f,
        resource=_resource(f.resource, names),
        message=redact(f.message, names),
        location=_location(f.location, names),
        target=_location(f.target, names) if f.target is not None else None,
        evidence=tuple(redact(e, names) for e in f.evidence),
    ) for f in findings)


def redact_inventory(inventory: Inventory) -> Inventory:
    """The inventory with every printed string redacted."""
    names = _names(inventory.resources, (f.source.address for f in inventory.flows),
                   (g.source.address for g in inventory.grants))
    return replace(
        inventory,
        resources=tuple(_resource(r, names) for r in inventory.resources),
        flows=tuple(replace(f, target=_location(f.target, names), description=redact(f.description, names))
                    for f in inventory.flows),
        grants=tuple(replace(g, description=redact(g.description, names)) for g in inventory.grants),
        coverage=tuple(_gap(g, names) for g in inventory.coverage),
    )


def _gap(gap: CoverageGap, names: frozenset[str]) -> CoverageGap:
    return replace(gap, reason=redact(gap.reason, names))
