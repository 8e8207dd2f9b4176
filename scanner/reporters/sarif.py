"""SARIF 2.1.0 (``--format sarif``), for GitHub code scanning and any other SARIF consumer.

One run; every policy in force is a rule (help text, the DWP policy paragraph, ``security-severity``),
every finding a result at the file and line of the block that declares what was judged, with the
finding's fingerprint as its ``partialFingerprints`` so alerts follow a finding across commits.
Paths are relative to the scan's working directory (``%SRCROOT%``), never absolute. Coverage gaps are
tool execution notifications, and an incomplete scan says ``executionSuccessful: false``: a SARIF
file with no results from a scan that could not read everything must not look clean.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scanner.model import Finding, Severity
from scanner.printable import encodable
from scanner.reporters.interface import RuleInfo, ScanReport
from scanner.reporters.json_report import dump
from scanner.reporters.paths import outside_base, relative_path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "offshoreScan/v1"

LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
"""GitHub reads ``security-severity`` (0-10) to rank alerts: critical above 9, high 7-8.9, medium 4-6.9."""


class SarifReporter:
    """``--format sarif``."""

    def render(self, report: ScanReport) -> str:
        rules = _rules(report)
        index = {rule["id"]: position for position, rule in enumerate(rules)}
        run: dict[str, Any] = {
            "tool": {"driver": {
                "name": "offshore-scan",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": rules,
            }},
            "results": [_result(f, index, report.base) for f in report.findings],
            "invocations": [_invocation(report)],
            "columnKind": "unicodeCodePoints",
        }
        if report.base is not None:
            run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path(report.base).resolve().as_uri() + "/"}}
        document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        # Lone surrogates left in messages and names are written as their escapes; the URIs have none left.
        return dump(encodable(document))


def _rules(report: ScanReport) -> list[dict[str, Any]]:
    known = {rule.id: rule for rule in report.rules}
    for finding in report.findings:
        # A finding of a rule the report was not told about still gets a rule entry.
        known.setdefault(finding.rule_id, RuleInfo(finding.rule_id, finding.rule_id, finding.severity.value, "",
                                                   "", finding.remediation))
    return [_rule(rule) for _, rule in sorted(known.items())]


def _rule(rule: RuleInfo) -> dict[str, Any]:
    severity = Severity(rule.severity)
    sections = [f"**{rule.title}**", rule.rationale,
                f"DWP Offshoring Policy: {rule.policy_paragraph}" if rule.policy_paragraph else "",
                f"Remediation: {rule.remediation}" if rule.remediation else "",
                f"Offshore Proposal Questionnaire sections: {', '.join(rule.questionnaire)}"
                if rule.questionnaire else ""]
    markdown = "\n\n".join(s for s in sections if s)
    return {
        "id": rule.id,
        "name": "".join(word[:1].upper() + word[1:] for word in rule.title.replace("-", " ").split()) or rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale or rule.title},
        "help": {"text": markdown.replace("**", ""), "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["security", "data-residency", "dwp-offshoring"],
            "precision": "high",
        },
    }


def _result(finding: Finding, index: dict[str, int], base: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": LEVELS[finding.severity],
        "kind": "fail" if finding.outcome.value == "fail" else "review",
        "message": {"text": finding.message},
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "outcome": finding.outcome.value,
            "category": finding.category.value,
            "severity": finding.severity.value,
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "resource": finding.resource.object_id,
            "declaredBy": finding.declared_by,
            "location": finding.location.describe(),
            "questionnaire": list(finding.questionnaire),
        },
    }
    if finding.target is not None:
        result["properties"]["target"] = finding.target.describe()
    result["locations"] = [_location(finding, base)]
    if finding.waiver is not None:
        # DWP approved it: code scanning shows the result as suppressed (dismissed), with the approval.
        waiver = finding.waiver
        result["suppressions"] = [{
            "kind": "external" if "#" in waiver.source else "inSource",  # a waivers file entry, or a comment
            "status": "accepted",
            "justification": f"DWP approval {waiver.approval} by {waiver.approver}, expires {waiver.expires}: "
                             f"{waiver.reason}",
        }]
    return result


def _location(finding: Finding, base: str | None) -> dict[str, Any]:
    where = finding.where
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": where.address, "kind": "resource"}],
    }
    uri = _uri(where.path, base)
    if uri is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if base is not None:
            physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
        if where.line:
            physical["region"] = {"startLine": where.line}
        location["physicalLocation"] = physical
    elif outside_base(where.path, base):
        location.update(_outside(where.path))
    return location


_NOT_A_BYTE = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")


def _uri(path: str, base: str | None) -> str | None:
    """The relative path as a URI reference: percent-encoded as UTF-8, and a byte of a file name that is not UTF-8
    (read with ``surrogateescape``) as that byte (``st%E9rage.tf``), never an escape with a backslash in it."""
    relative = relative_path(path, base)
    if relative is None:
        return None
    # A surrogate that is no undecodable byte (from a JSON "\\ud800" in a result read back) has no byte to give:
    # written as its escape, as every format writes it.
    return quote(os.fsencode(_NOT_A_BYTE.sub(lambda m: encodable(m.group()), relative)), safe="/")


def _outside(path: str) -> dict[str, Any]:
    """A file outside the directory the report is relative to: named, never linked (no ``../``, no absolute URI)."""
    return {"message": {"text": f"outside the scanned roots: {path}"}, "properties": {"outsideScannedRoots": True}}


def _invocation(report: ScanReport) -> dict[str, Any]:
    notifications = []
    for gap in report.inventory.coverage:
        notification: dict[str, Any] = {
            "level": "note" if not gap.incomplete else "error",
            "message": {"text": gap.reason},
            "descriptor": {"id": f"coverage/{gap.kind}"},
        }
        uri = _uri(gap.path, report.base)
        if uri is not None:
            physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
            if gap.line:
                physical["region"] = {"startLine": gap.line}
            notification["locations"] = [{"physicalLocation": physical}]
        else:
            notification["locations"] = [{"logicalLocations": [{"fullyQualifiedName": gap.path}],
                                          **(_outside(gap.path) if outside_base(gap.path, report.base) else {})}]
        notifications.append(notification)
    complete = not any(gap.incomplete for gap in report.inventory.coverage)
    return {"executionSuccessful": complete, "toolExecutionNotifications": notifications}
