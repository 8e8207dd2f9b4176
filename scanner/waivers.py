"""Waivers: offshoring DWP has approved is recorded, not hidden, and not a defect.

A waiver names a finding (its fingerprint, or a rule and resource and optionally a target region) and
carries the DWP approval reference, who approved it, why, and when the approval expires. Waivers come
from a file (``offshore-waivers.yaml`` beside the config, or ``--waivers FILE``), from comments in HCL
(``# offshore-scan:waive OFS-REPL-001 approval=DWP-OFF-123 expires=2027-03-31`` inside a block or on
the lines just above it) and from a Kubernetes object's annotation ``offshore-scan.dwp.gov.uk/waive``
(the same words after the marker). A waived finding stays in every report, with its waiver; it no
longer fails the build. An expired waiver stops applying and a waiver that matches nothing is stale:
both are said as notes. A malformed waivers file is an error, never an ignored file.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scanner.model import CoverageGap, Finding, Waiver
from scanner.yaml_data import load_yaml

WAIVERS_FILE = "offshore-waivers.yaml"
ANNOTATION = "offshore-scan.dwp.gov.uk/waive"
_INLINE = re.compile(r"(?:#|//)\s*offshore-scan:waive\s+(?P<words>.+)$")
_REQUIRED = ("approval", "approver", "reason", "expires")
MAX_SCANNED_BYTES = 20 * 1024 * 1024
"""Files larger than the default --max-file-size are not searched for inline waivers (the scan did not read them)."""


class WaiverError(Exception):
    """The waivers file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class WaiverRule:
    """One waiver and what it matches."""

    waiver: Waiver
    fingerprint: str | None = None
    rule: str | None = None
    resource: str | None = None
    target: str | None = None
    file: str | None = None
    """Inline waivers: the file and the lines of the block they sit in or above."""
    lines: tuple[int, int] | None = None

    def matches(self, finding: Finding) -> bool:
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint
        if self.rule is not None and self.rule != finding.rule_id:
            return False
        if self.file is not None and self.lines is not None:
            where = finding.where
            return (where.path == self.file and where.line is not None
                    and self.lines[0] <= where.line <= self.lines[1])
        if self.resource is not None and self.resource not in (finding.resource.object_id, finding.resource.id,
                                                                finding.declared_by):
            return False
        if self.target is not None:
            place = finding.target or finding.location
            if self.target not in (place.region, place.country):
                return False
        return True


def load_waivers_file(path: Path) -> list[WaiverRule]:
    """The waivers of a file in the documented shape; ``WaiverError`` for anything else."""
    import yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise WaiverError(f"{path}: cannot read waivers file: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise WaiverError(f"{path}{line}: not valid YAML ({getattr(error, 'problem', None) or error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise WaiverError(f"{path}: a waivers file holds a list under 'waivers:' (see the README)")
    rules = []
    for position, entry in enumerate(data["waivers"], start=1):
        where = f"{path}: waiver {position}"
        if not isinstance(entry, dict):
            raise WaiverError(f"{where}: each waiver is a mapping of keys (fingerprint or rule, approval, ...)")
        missing = [key for key in _REQUIRED if not _text(entry.get(key))]
        if missing:
            raise WaiverError(f"{where}: {', '.join(missing)} required (the DWP approval reference, who approved "
                              "it, why, and the ISO date it expires)")
        if not entry.get("fingerprint") and not entry.get("rule"):
            raise WaiverError(f"{where}: says neither which finding (fingerprint) nor which rule it waives")
        if entry.get("fingerprint") and not re.fullmatch(r"[0-9a-f]{16}", str(entry["fingerprint"])):
            raise WaiverError(f"{where}: fingerprint {entry['fingerprint']!r} is not 16 hex digits (copy it from a "
                              "report)")
        expires = _date(entry["expires"], where)
        waiver = Waiver(_text(entry["approval"]), _text(entry["approver"]), _text(entry["reason"]),
                        expires.isoformat(), f"{path}#{position}")
        rules.append(WaiverRule(waiver, _text(entry.get("fingerprint")) or None, _text(entry.get("rule")) or None,
                                _text(entry.get("resource")) or None, _text(entry.get("target")) or None))
    return rules


def inline_waivers(paths: Iterable[str]) -> tuple[list[WaiverRule], list[CoverageGap]]:
    """Waivers written beside the code: HCL comments and manifest annotations in the files scanned."""
    rules: list[WaiverRule] = []
    gaps: list[CoverageGap] = []
    for shown in paths:
        path = Path(shown)
        if path.suffix not in (".tf", ".yaml", ".yml"):
            continue
        try:
            if not path.is_file() or path.stat().st_size > MAX_SCANNED_BYTES:
                continue  # a FIFO or device would block the read; the scan itself reported what it skipped
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the scan itself reported an unreadable file
        if "offshore-scan:waive" not in text and ANNOTATION not in text:
            continue
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            found = _INLINE.search(line)
            if found is None and ANNOTATION in line:
                found = re.search(re.escape(ANNOTATION) + r"""\s*:\s*["']?(?P<words>[^"']+)""", line)
            if found is None:
                continue
            try:
                rule, waiver = _inline(found.group("words"), f"{shown}:{number}")
            except WaiverError as error:
                gaps.append(CoverageGap(shown, number, str(error), kind="error"))
                continue
            start, end = _covered_lines(lines, number, yaml=path.suffix != ".tf")
            rules.append(WaiverRule(waiver, rule=rule, file=shown, lines=(start, end)))
    return rules, gaps


def apply_waivers(findings: Sequence[Finding], rules: Sequence[WaiverRule],
                  today: datetime.date | None = None) -> tuple[tuple[Finding, ...], list[CoverageGap]]:
    """Findings with their waivers attached, and notes for expired and stale waivers."""
    today = today or datetime.date.today()
    notes: list[CoverageGap] = []
    used: set[int] = set()
    result = []
    for finding in findings:
        waiver = None
        for index, rule in enumerate(rules):
            if not rule.matches(finding):
                continue
            used.add(index)
            if datetime.date.fromisoformat(rule.waiver.expires) < today:
                notes.append(CoverageGap(
                    rule.waiver.source, None, f"waiver {rule.waiver.approval} for {finding.rule_id} "
                    f"{finding.resource.object_id} expired on {rule.waiver.expires}; the finding applies again",
                    kind="note"))
                continue
            waiver = rule.waiver
            break
        result.append(replace(finding, waiver=waiver) if waiver is not None else finding)
    for index, rule in enumerate(rules):
        if index not in used:
            what = rule.fingerprint or " ".join(p for p in (rule.rule, rule.resource, rule.target) if p)
            notes.append(CoverageGap(rule.waiver.source, None,
                                     f"waiver {rule.waiver.approval} ({what}) matches no finding: it is stale and can "
                                     "be removed", kind="note"))
    return tuple(result), notes


def _inline(words: str, where: str) -> tuple[str, Waiver]:
    parts = words.split()
    if not parts or "=" in parts[0]:
        raise WaiverError(f"inline waiver at {where} names no rule (offshore-scan:waive OFS-REPL-001 approval=... "
                          "expires=YYYY-MM-DD)")
    settings: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if sep:
            settings[key] = value
    if not settings.get("approval") or not settings.get("expires"):
        raise WaiverError(f"inline waiver at {where} needs approval=<DWP reference> and expires=<YYYY-MM-DD>; "
                          "it was not applied")
    expires = _date(settings["expires"], f"inline waiver at {where}")
    reason = " ".join(p for p in parts[1:] if "=" not in p) or settings.get("reason", "inline waiver")
    return parts[0], Waiver(settings["approval"], settings.get("approver", "(not stated inline)"), reason,
                            expires.isoformat(), where)


def _covered_lines(lines: list[str], number: int, yaml: bool) -> tuple[int, int]:
    """The lines a waiver at line ``number`` covers. In a manifest: its YAML document. In HCL: the block
    that starts just below a comment, or else the top-level block the comment sits in (found by braces; a
    string holding a brace may widen the range, never move it to another block)."""
    if yaml:
        start = max((i + 1 for i in range(number) if lines[i].startswith("---")), default=1)
        end = next((i for i in range(number, len(lines)) if lines[i].startswith("---")), len(lines))
        return start, end
    depths = [0]
    for line in lines:
        code = line.split("#", 1)[0].split("//", 1)[0]
        depths.append(max(depths[-1] + code.count("{") - code.count("}"), 0))
    # depths[k] is the depth before line k + 1.
    below = number
    while below < len(lines) and (not lines[below].strip() or lines[below].lstrip().startswith(("#", "//"))):
        below += 1
    if lines[number - 1].lstrip().startswith(("#", "//")) and below < len(lines) and "{" in lines[below] \
            and depths[below] == depths[number - 1]:
        start = below + 1
    else:
        # Findings point at a top-level block (the resource): a waiver anywhere inside one covers all of it.
        start = next((k for k in range(number, 0, -1) if depths[k - 1] == 0 and "{" in lines[k - 1]), number)
    level = depths[start - 1]
    end = next((k for k in range(start, len(lines) + 1) if depths[k] <= level), len(lines))
    return start, end


def _date(value: Any, where: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise WaiverError(f"{where}: expires {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""
