"""Waivers: offshoring DWP has approved is recorded, not hidden, and not a defect.

A waiver names a finding (its fingerprint, or a resource, with a rule and optionally a target region; a rule
everywhere only with ``scope: all``, reported as a blanket waiver) and carries the DWP approval reference, who
approved it, why, and when the approval expires. Waivers come from a file (``offshore-waivers.yaml`` beside the
config, or ``--waivers FILE``), from comments in HCL (``# offshore-scan:waive OFS-REPL-001 approval=DWP-OFF-123
expires=2027-03-31``, a comment token attached to the block it precedes or sits in: ``hcl_comments``) and from a
Kubernetes object's own annotation ``offshore-scan.dwp.gov.uk/waive`` (the same words), both read from the
parsed file, never by searching text. A waived finding stays in every report, with its waiver; it no longer
fails the build. An expired waiver stops applying and a waiver that matches nothing is stale: both are said as
notes. A malformed waivers file is an error, never an ignored file.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scanner.model import CoverageGap, Finding, Waiver
from scanner.user_files import UserFileError, read_user_text
from scanner.yaml_data import YamlRefused, YamlValueError, load_user_yaml

WAIVERS_FILE = "offshore-waivers.yaml"
ANNOTATION = "offshore-scan.dwp.gov.uk/waive"
MARKER = "offshore-scan:waive"
_REQUIRED = ("approval", "approver", "reason", "expires")
_KEYS = frozenset({*_REQUIRED, "fingerprint", "rule", "resource", "target", "scope"})
"""Every key a waivers file entry may have: a misspelt key (``targt``) would silently widen the waiver."""
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
        data = load_user_yaml(read_user_text(path, "waivers file"))
    except UserFileError as error:
        raise WaiverError(str(error)) from None
    except YamlValueError as error:
        raise WaiverError(f"{path}:{error.line}: {error.key}: YAML cannot read this value ({error.problem})") from None
    except YamlRefused as error:
        raise WaiverError(f"{path}:{error.line}: {error}") from None
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
        unknown = sorted(str(key) for key in entry if key not in _KEYS)
        if unknown:
            raise WaiverError(f"{where}: unknown key(s) {', '.join(unknown)}; a waiver takes "
                              f"{', '.join(sorted(_KEYS))} (a misspelt key would silently widen it)")
        missing = [key for key in _REQUIRED if not _text(entry.get(key))]
        if missing:
            raise WaiverError(f"{where}: {', '.join(missing)} required (the DWP approval reference, who approved "
                              "it, why, and the ISO date it expires)")
        scope = _text(entry.get("scope")) or None
        if scope not in (None, "all"):
            raise WaiverError(f"{where}: scope {entry['scope']!r} is not understood (the only scope is 'all')")
        if not entry.get("fingerprint") and not entry.get("resource") and scope != "all":
            # A rule alone would waive that rule everywhere, for resources nobody looked at: say so, or name one.
            raise WaiverError(f"{where}: names neither a finding (fingerprint) nor a resource; a waiver of a rule "
                              "everywhere must say 'scope: all', and is then reported as a blanket waiver")
        if entry.get("fingerprint") and not re.fullmatch(r"[0-9a-f]{16}", str(entry["fingerprint"])):
            raise WaiverError(f"{where}: fingerprint {entry['fingerprint']!r} is not 16 hex digits (copy it from a "
                              "report)")
        expires = _date(entry["expires"], where)
        reason = _text(entry["reason"])
        if scope == "all" and not entry.get("fingerprint") and not entry.get("resource"):
            # Said in every format through the reason every format prints beside the approval.
            reason = f"blanket waiver (scope: all) of every {_text(entry.get('rule')) or 'finding'}: {reason}"
        waiver = Waiver(_text(entry["approval"]), _text(entry["approver"]), reason, expires.isoformat(),
                        f"{path}#{position}")
        rules.append(WaiverRule(waiver, _text(entry.get("fingerprint")) or None, _text(entry.get("rule")) or None,
                                _text(entry.get("resource")) or None, _text(entry.get("target")) or None))
    return rules


def inline_waivers(paths: Iterable[str]) -> tuple[list[WaiverRule], list[CoverageGap]]:
    """Waivers written beside the code, read from the parsed structure: HCL comment tokens (attached to the
    block they precede, or the top-level block they sit in) and a manifest object's own annotation."""
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
        # A cheap look first: most files hold no waiver; what is one is decided by the parsed structure below.
        if path.suffix == ".tf" and MARKER in text:
            _hcl_waivers(shown, text, rules, gaps)
        elif path.suffix != ".tf" and ANNOTATION in text:
            _manifest_waivers(shown, text, rules, gaps)
    return rules, gaps


def _hcl_waivers(shown: str, text: str, rules: list[WaiverRule], gaps: list[CoverageGap]) -> None:
    from providers.terraform.hcl_comments import comments

    for comment in comments(text):
        if not comment.text.startswith(MARKER):
            continue  # a marker later in a comment is prose about waivers, not a waiver
        where = f"{shown}:{comment.line}"
        if comment.block is None:
            gaps.append(CoverageGap(shown, comment.line, f"inline waiver at {where} is attached to no block (write "
                                    "it on the lines just above the resource, or inside it); it was not applied"))
            continue
        try:
            rule, waiver = _inline(comment.text.removeprefix(MARKER), where)
        except WaiverError as error:
            gaps.append(CoverageGap(shown, comment.line, str(error), kind="error"))
            continue
        rules.append(WaiverRule(waiver, rule=rule, file=shown, lines=comment.block))


def _manifest_waivers(shown: str, text: str, rules: list[WaiverRule], gaps: list[CoverageGap]) -> None:
    from providers.kubernetes.manifests import read_manifests
    from providers.kubernetes.workloads import address

    manifests, _ = read_manifests(text, shown)  # a document that does not parse was reported by the scan
    for manifest in manifests:
        metadata = manifest.data.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        words = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
        if words is None:
            continue
        where = f"{shown}:{manifest.line}"
        if not isinstance(words, str):
            gaps.append(CoverageGap(shown, manifest.line, f"waiver annotation at {where} is not a string; it was not "
                                    "applied"))
            continue
        try:
            rule, waiver = _inline(words, where)
        except WaiverError as error:
            gaps.append(CoverageGap(shown, manifest.line, str(error), kind="error"))
            continue
        # The object itself, whatever findings it is named in: as the resource concerned or as their declarer.
        rules.append(WaiverRule(waiver, rule=rule, resource=address(manifest)))


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
            # Every waiver that matches is in use (never "stale"), though the first one that applies is shown.
            waiver = waiver or rule.waiver
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


def _date(value: Any, where: str) -> datetime.date:
    """The day a waiver expires: an ISO 8601 date or date-time (the date-time's own day, in its own zone)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for parse in (datetime.date.fromisoformat, datetime.datetime.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return parsed.date() if isinstance(parsed, datetime.datetime) else parsed
    raise WaiverError(f"{where}: expires {value!r} is not an ISO 8601 date or date-time (YYYY-MM-DD), or is a "
                      "day that does not exist") from None


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""
