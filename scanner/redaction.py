"""No secret in any report: values whose names say secret, and values that look like keys, are redacted.

Provenance shows the settings behind a judgement (``var.db_password = "..." (default, main.tf:3)``), and a scan
reads estates full of credentials. Every string a report prints passes through ``redact`` before any reporter
sees it, so every output format, present and future, is covered by one rule.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from scanner.model import CoverageGap, Finding, Flow, Grant, Inventory, Location, Resource

REDACTED = "(sensitive)"

_SECRET_NAME = (r"[\w.\-\[\]\"']*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
                r"credential|connection[_-]?string|conn[_-]?str|sas[_-]?key|license[_-]?key|auth)[\w.\-\[\]\"']*")
# `NAME = VALUE` and `NAME: VALUE` where the name says secret: the value (quoted, or up to a space) goes.
_ASSIGNMENT = re.compile(rf"(?i)(\b{_SECRET_NAME}\s*[=:]\s*)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s,)]+)")
# Values that are keys whatever they are called.
_KEY_SHAPES = re.compile(
    r"\bAKIA[0-9A-Z]{16}\b"                                # AWS access key id
    r"|\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}\b"           # a JWT
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r"|\b(?:xox[abprs]|ghp|gho|ghs|glpat|sk_live|sk_test)[-_][\w-]{10,}\b"  # Slack, GitHub, GitLab, Stripe tokens
    r"|(?<=://)[^/\s@'\"]+(?=@)"                            # userinfo of a URL (user:password@, a DSN's key@)
    r"|(?i:(?:AccountKey|SharedAccessKey|InstrumentationKey|sig)=)[^;&\s'\"]+"  # Azure connection strings, SAS
)


@functools.lru_cache(maxsize=65536)
def redact(text: str) -> str:
    """The text with every secret-looking value replaced by ``(sensitive)``. Cached: a report repeats the
    same provenance steps for thousands of resources, and the patterns are the scan's costliest regexes."""
    if not text:
        return text
    text = _ASSIGNMENT.sub(lambda m: m.group(1) + REDACTED, text)
    return _KEY_SHAPES.sub(lambda m: _keep_label(m.group(0)), text)


def _keep_label(found: str) -> str:
    # `AccountKey=...` keeps its label so the reader sees what was there.
    label = re.match(r"(?i)(AccountKey|SharedAccessKey|InstrumentationKey|sig)=", found)
    return f"{label.group(0)}{REDACTED}" if label else REDACTED


def _location(location: Location) -> Location:
    return replace(location, provenance=tuple(redact(s) for s in location.provenance),
                   note=redact(location.note) if location.note else location.note)


def _resource(resource: Resource) -> Resource:
    return replace(resource, location=_location(resource.location))


def redact_findings(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Findings with every printed string redacted."""
    return tuple(replace(
        f,
        resource=_resource(f.resource),
        message=redact(f.message),
        location=_location(f.location),
        target=_location(f.target) if f.target is not None else None,
        evidence=tuple(redact(e) for e in f.evidence),
    ) for f in findings)


def redact_inventory(inventory: Inventory) -> Inventory:
    """The inventory with every printed string redacted."""
    return replace(
        inventory,
        resources=tuple(_resource(r) for r in inventory.resources),
        flows=tuple(_flow(f) for f in inventory.flows),
        grants=tuple(_grant(g) for g in inventory.grants),
        coverage=tuple(_gap(g) for g in inventory.coverage),
    )


def _flow(flow: Flow) -> Flow:
    return replace(flow, target=_location(flow.target), description=redact(flow.description))


def _grant(grant: Grant) -> Grant:
    return replace(grant, description=redact(grant.description))


def _gap(gap: CoverageGap) -> CoverageGap:
    return replace(gap, reason=redact(gap.reason))
