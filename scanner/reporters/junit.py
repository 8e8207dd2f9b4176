"""JUnit XML (``--format junit``), for GitLab merge-request widgets and Azure DevOps test results.

One test suite per policy: a failing test case per finding (named by resource and fingerprint, the
message and remediation as the failure), a single passing case when the policy found nothing. A
``coverage`` suite holds one erroring case per coverage gap, so an incomplete scan is red in CI
rather than an empty, green test report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import defaultdict

from scanner.model import Finding
from scanner.reporters.interface import RuleInfo, ScanReport
from scanner.reporters.paths import outside_base, relative_path


class JunitReporter:
    """``--format junit``."""

    def render(self, report: ScanReport) -> str:
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in report.findings:
            by_rule[finding.rule_id].append(finding)
        rules = {rule.id: rule for rule in report.rules}
        for rule_id in by_rule:
            rules.setdefault(rule_id, RuleInfo(rule_id, rule_id, "high", "", "", ""))
        root = ElementTree.Element("testsuites", name="offshore-scan")
        total = failures = errors = 0
        for rule_id, rule in sorted(rules.items()):
            suite = ElementTree.SubElement(root, "testsuite", name=f"{rule_id} {rule.title}")
            found = by_rule.get(rule_id, [])
            for finding in found:
                _failing_case(suite, finding, report.base)
            if not found:
                ElementTree.SubElement(suite, "testcase", classname=rule_id, name="no findings")
            count = max(1, len(found))
            suite.set("tests", str(count))
            suite.set("failures", str(len(found)))
            suite.set("errors", "0")
            total += count
            failures += len(found)
        coverage = ElementTree.SubElement(root, "testsuite", name="coverage")
        gaps = [gap for gap in report.inventory.coverage if gap.incomplete]
        for gap in gaps:
            where = f"{gap.path}:{gap.line}" if gap.line else gap.path
            case = ElementTree.SubElement(coverage, "testcase", classname="coverage", name=where)
            path = relative_path(gap.path, report.base)
            if path is not None:
                case.set("file", path)
            error = ElementTree.SubElement(case, "error", message=gap.reason, type=gap.kind)
            error.text = (f"{where}: {gap.reason}\nThe scan is incomplete: this input was not (wholly) read."
                          f"{_outside(gap.path, report.base)}")
        if not gaps:
            ElementTree.SubElement(coverage, "testcase", classname="coverage", name="every input was read")
        coverage.set("tests", str(max(1, len(gaps))))
        coverage.set("failures", "0")
        coverage.set("errors", str(len(gaps)))
        total += max(1, len(gaps))
        errors += len(gaps)
        root.set("tests", str(total))
        root.set("failures", str(failures))
        root.set("errors", str(errors))
        ElementTree.indent(root)
        body = ElementTree.tostring(root, encoding="unicode")
        # XML 1.0 cannot hold most control characters at all, escaped or not: they are shown as \xNN.
        body = _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", body)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _failing_case(suite: ElementTree.Element, finding: Finding, base: str | None) -> None:
    case = ElementTree.SubElement(suite, "testcase", classname=finding.rule_id,
                                  name=f"{finding.resource.object_id} [{finding.fingerprint}]")
    path = relative_path(finding.where.path, base)
    if path is not None:
        case.set("file", path)
        if finding.where.line:
            case.set("line", str(finding.where.line))
    failure = ElementTree.SubElement(case, "failure", message=finding.message,
                                     type=f"{finding.outcome.value}/{finding.severity.value}")
    where = f"{finding.where.path}:{finding.where.line}" if finding.where.line else finding.where.path
    lines = [finding.message, f"declared at {where} by {finding.declared_by}",
             f"severity {finding.severity.value}, fingerprint {finding.fingerprint}"]
    if finding.remediation:
        lines.append(f"remediation: {finding.remediation}")
    failure.text = "\n".join(lines) + _outside(finding.where.path, base)


def _outside(path: str, base: str | None) -> str:
    # A file outside the directory the report is relative to gets no `file` attribute (never ../ or absolute).
    return f"\n{path} is outside the scanned roots: not linked." if outside_base(path, base) else ""
