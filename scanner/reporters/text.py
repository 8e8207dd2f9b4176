"""The text report: findings grouped by resource, each with its provenance, source and fix.

Lines are wrapped to a width with hanging indents, so a terminal or a CI log shows each finding as a block; the
width is the caller's choice (the terminal's, or a fixed 100 columns when the output is not a terminal, so a
report written to a file or a pipe is the same on every machine).
"""

from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from itertools import groupby
from typing import Any

import click

from scanner.model import Finding, Outcome, ScopeCoverage, ScopeStatus, Severity
from scanner.reporters.interface import ScanReport

# Critical is louder than high (a red background, not only red letters): the two must not look alike to someone
# scanning a CI log for what to fix first.
_COLOURS: dict[Severity, dict[str, Any]] = {
    Severity.CRITICAL: {"fg": "white", "bg": "red", "bold": True},
    Severity.HIGH: {"fg": "red", "bold": True},
    Severity.MEDIUM: {"fg": "yellow", "bold": True},
    Severity.LOW: {"fg": "cyan", "bold": True},
}

DEFAULT_WIDTH = 100
"""The width of a report that is not shown on a terminal (a file, a pipe, a CI log)."""

_NARROWEST = 40
"""Below this, a hanging indent leaves too little room: a narrower terminal gets lines this wide."""


_SHARED_CAUSE = 3
"""Findings one setting must declare (to one place) before the text report names it as a cause to change first."""


def _verdict(uk: bool | None) -> str:
    return {True: "UK", False: "outside the UK", None: "unknown"}[uk]


class TextReporter:
    """``--format text``: for people reading a terminal or a CI log."""

    def __init__(self, colour: bool = False, width: int = DEFAULT_WIDTH, compact: bool = False) -> None:
        self.colour = colour
        self.width = max(width, _NARROWEST)
        self.compact = compact
        """``--compact``: no ``fix:`` lines (the remediation is in ``offshore-scan policies``)."""

    def render(self, report: ScanReport) -> str:
        lines: list[str] = [*self._wrap(self._header(report), 2), ""]
        if report.baselined:
            # Said first: an empty report after a baseline is "nothing new", never "nothing found".
            shown = "no new finding" if not report.findings else f"{len(report.findings)} new finding(s) below"
            said = self._wrap(f"{len(report.baselined)} finding(s) already in the baseline are not reported "
                              f"again; {shown}.", 0)
            lines += [*(self._style(line, bold=True) for line in said), ""]
        if report.filtered:
            # Said first too: filters that hide every finding must never read as "no offshoring found".
            shown = "no finding is reported" if not report.findings else f"{len(report.findings)} finding(s) below"
            said = self._wrap(f"{report.filtered} finding(s) hidden by the filters ({'; '.join(report.filters)}) "
                              f"are not reported; {shown}.", 0)
            lines += [*(self._style(line, bold=True) for line in said), ""]
        fixed: set[str] = set()
        for _, group in groupby(report.findings, key=lambda f: f.resource.id):
            findings = list(group)
            resource = findings[0].resource
            where = f"{resource.source.path}:{resource.source.line}" if resource.source.line else resource.source.path
            head = self._wrap(f"{resource.label}  ({resource.type}, {where})", 4)
            lines.append(self._styled_prefix(head[0], resource.label, bold=True))
            lines.extend(head[1:])
            hosted = f"; hosted in {resource.location.describe()}" if resource.holds_data else ""
            lines.extend(self._wrap(f"  DWP: {resource.classification.reason}{hosted}", 7))
            for finding in findings:
                lines.extend(self._finding(finding, first_of_rule=finding.rule_id not in fixed))
                fixed.add(finding.rule_id)
            lines.append("")
        gaps = [g for g in report.inventory.coverage if g.incomplete]
        notes = [g for g in report.inventory.coverage if not g.incomplete]
        if not report.findings:
            if gaps:
                lines.extend(self._wrap("No findings in what was scanned; but the scan is INCOMPLETE (see the "
                                        "coverage gaps below).", 2))
            elif not report.baselined and not report.filtered:
                lines.append("No offshoring found in the DWP resources scanned.")
            lines.append("")
        lines.extend(self._causes(report))
        lines.extend(self._paths(report))
        lines.extend(self._guardrails(report))
        for title, entries in (("Coverage gaps: the scan is incomplete", gaps), ("Notes", notes)):
            if not entries:
                continue
            lines.append(self._style(title, bold=True))
            for gap in sorted(entries, key=lambda g: (g.path, g.line or 0)):
                where = f"{gap.path}:{gap.line}" if gap.line else gap.path
                lines.extend(self._wrap(f"  {where}: {gap.reason}", 4))
            lines.append("")
        lines.extend(self._scopes(report))
        # Wrapped like every other line; it still starts with "Summary:", what `--quiet` prints and scripts grep for.
        lines.extend(self._wrap(summary_line(report), 9))
        return "\n".join(lines) + "\n"

    def _wrap(self, text: str, hang: int) -> list[str]:
        """``text`` (its own leading indent kept) in lines of at most the width, continued ``hang`` columns in.
        Words are never broken: a path, ARN or URL longer than the width stands on a line of its own."""
        if len(text) <= self.width:
            return [text]
        return textwrap.wrap(text, width=self.width, subsequent_indent=" " * hang, break_long_words=False,
                             break_on_hyphens=False, replace_whitespace=False) or [text]

    def _styled_prefix(self, line: str, prefix: str, **style: Any) -> str:
        """``line`` with its first ``prefix`` styled (after wrapping, so escapes never count towards the width)."""
        if not self.colour or prefix not in line:
            return line
        at = line.index(prefix)
        return line[:at] + click.style(prefix, **style) + line[at + len(prefix):]

    def _scopes(self, report: ScanReport) -> list[str]:
        """Live scans: each account and region with its services by status, then the API calls per service."""
        scopes = report.inventory.scopes
        if not scopes:
            return []
        azure = {s.service.startswith("Microsoft.") for s in scopes}
        place = {frozenset({False}): "account", frozenset({True}): "subscription"}.get(frozenset(azure),
                                                                                     "account or subscription")
        lines = [self._style(f"Live coverage ({place}/region: service status, API calls)", bold=True)]
        by_place: dict[tuple[str, str], list[ScopeCoverage]] = defaultdict(list)
        disabled: dict[str, list[str]] = defaultdict(list)
        for scope in scopes:
            if scope.status is ScopeStatus.DISABLED and scope.calls == 0:
                disabled[scope.account].append(scope.region)
            else:
                by_place[(scope.account, scope.region)].append(scope)
        for (account, region), found in sorted(by_place.items()):
            statuses: dict[str, list[str]] = defaultdict(list)
            for scope in sorted(found, key=lambda s: s.service):
                statuses[scope.status.value].append(f"{scope.service} ({scope.calls})")
            said = "; ".join(f"{status}: {', '.join(names)}" for status, names in sorted(statuses.items()))
            lines.extend(self._wrap(f"  {account}/{region}: {said}", 6))
            for scope in sorted(found, key=lambda s: s.service):
                if scope.detail and scope.status.incomplete:
                    lines.extend(self._wrap(f"      {scope.service} {scope.status.value}: {scope.detail}", 10))
        for account, regions in sorted(disabled.items()):
            lines.extend(self._wrap(f"  {account}: regions not enabled (nothing can be there): "
                                    f"{', '.join(sorted(regions))}", 6))
        calls = Counter[str]()
        for scope in scopes:
            calls[scope.service] += scope.calls
        listed = ", ".join(f"{service} {count}" for service, count in sorted(calls.items()) if count)
        lines.extend(self._wrap(f"API calls: {sum(calls.values())} ({listed})", 2))
        lines.append("")
        return lines

    def _causes(self, report: ScanReport) -> list[str]:
        """The settings behind several findings each: one AWS Config channel or organisation trail delivering abroad
        is a finding on every DWP resource it carries (a live account's dozens), so an auditor is told which few
        settings to change first. Every finding above is still listed; this only counts them."""
        causes: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in report.findings:
            if finding.waiver is None and finding.declared_by != finding.resource.id:
                causes[(finding.declared_by, (finding.target or finding.location).describe())].append(finding)
        shared = sorted(((key, found) for key, found in causes.items() if len(found) >= _SHARED_CAUSE),
                        key=lambda item: (-len(item[1]), item[0]))
        if not shared:
            return []
        lines = [self._style("Settings behind several findings (change these first)", bold=True)]
        for (declared_by, place), found in shared:
            outcomes = ", ".join(f"{sum(f.outcome is o for f in found)} {o.value}" for o in Outcome
                                 if any(f.outcome is o for f in found))
            rules = ", ".join(sorted({f.rule_id for f in found}))
            resources = len({f.resource.id for f in found})
            lines.extend(self._wrap(f"  {declared_by} -> {place}: {outcomes} ({rules}) on {resources} DWP "
                                    f"resource(s)", 4))
        lines.append("")
        return lines

    def _paths(self, report: ScanReport) -> list[str]:
        """Every flow and grant of every DWP resource, UK ones included: the questionnaire 2.2 answer."""
        inventory = report.inventory
        flows = defaultdict(list)
        for flow in inventory.flows:
            flows[flow.resource_id].append(flow)
        grants = defaultdict(list)
        for grant in inventory.grants:
            grants[grant.resource_id].append(grant)
        dwp = sorted(
            (r for r in inventory.resources if r.classification.dwp and (r.id in flows or r.id in grants)),
            key=lambda r: r.id,
        )
        if not dwp:
            return []
        lines = [self._style("Where DWP data goes and who can reach it (questionnaire 2.2)", bold=True)]
        for resource in dwp:
            if resource.holds_data:
                hosted = f"hosted in {resource.location.describe()} [{_verdict(resource.location.uk)}]"
            else:
                hosted = f"({resource.location.describe()}: configuration only, holds no DWP data)"
            lines.extend(self._wrap(f"  {resource.id}  {hosted}", 6))
            for flow in sorted(flows[resource.id], key=lambda f: (f.kind.value, f.description)):
                target = f"{flow.target.describe()} [{_verdict(flow.target.uk)}]"
                lines.extend(self._wrap(f"    {flow.kind.value:<13} -> {target}  {flow.description}", 21))
            for grant in sorted(grants[resource.id], key=lambda g: g.principal):
                who = f"{grant.principal}" + (f" ({grant.owner})" if grant.owner else "")
                where = "internal" if grant.internal else _verdict(grant.uk)
                country = f" in {grant.country}" if grant.country else ""
                lines.extend(self._wrap(f"    {'access':<13} <- {who}{country} [{where}]  {grant.description}", 21))
        lines.append("")
        return lines

    def _guardrails(self, report: ScanReport) -> list[str]:
        guardrails = report.inventory.guardrails
        if not guardrails:
            return []
        lines = [self._style("Region guardrails", bold=True)]
        for guard in sorted(guardrails, key=lambda g: (g.kind, g.source.path, g.source.line or 0)):
            where = f"{guard.source.path}:{guard.source.line}" if guard.source.line else guard.source.path
            scope = "not read" if not guard.read else "UK only" if guard.uk_only else "allows regions outside the UK"
            lines.extend(self._wrap(f"  {guard.kind}: {guard.description} [{scope}] ({where})", 6))
        lines.append("")
        return lines

    def _header(self, report: ScanReport) -> str:
        inventory = report.inventory
        # Counted by object: a workload's container images are parts of it (``Deployment/ns/app/image/web``), not
        # resources of their own, so a Deployment with two images is one resource, not three.
        objects = {r.object_id for r in inventory.resources}
        dwp = len({r.object_id for r in inventory.resources if r.classification.dwp})
        config = f", config {report.config_path}" if report.config_path else ""
        # Counted from what was scanned, not from the scopes: a management account's Organizations scope, or a
        # tenant-wide listing, is not an account or subscription read.
        subscriptions = [s for s in inventory.scanned if s.startswith("azure subscription ")]
        accounts = {s.removeprefix("aws account ") for s in inventory.scanned if s.startswith("aws account ")}
        files = len(inventory.scanned) - len(subscriptions) - len(accounts)
        azure = any(s.service.startswith("Microsoft.") for s in inventory.scopes)
        parts = []
        if inventory.scopes and (accounts or not azure):
            # A scanned region is one whose resources were discovered (the Tagging API); a region only asked
            # for a bucket's location or for copies of what the scanned regions hold is not counted.
            regions = len({s.region for s in inventory.scopes if s.account in accounts
                           and s.service == "resourcegroupstaggingapi"})
            parts.append(f"{len(accounts)} AWS account(s), {regions} region(s)")
        if inventory.scopes and (subscriptions or azure):
            parts.append(f"{len(subscriptions)} Azure subscription(s)")
        if files or not parts:
            parts.append(f"{files} input file(s)")
        read = ", ".join(parts)
        audit = inventory.audit
        if audit is not None:
            share = "" if audit.shard is None else (f"shard {audit.shard.index}/{audit.shard.count}: "
                                                    f"{len(audit.shard.accounts)} of ")
            read += f" ({share}{len(audit.accounts)} accounts of the {audit.label})"
        return (
            f"offshore-scan {report.tool_version}: {read}, "
            f"{len(objects)} resources ({dwp} DWP), {len(inventory.flows)} data flows{config}"
        )

    def _finding(self, finding: Finding, first_of_rule: bool = True) -> list[str]:
        label = "FAIL" if finding.outcome is Outcome.FAIL else "UNKNOWN"
        if finding.waiver is not None:
            label = f"WAIVED {label.lower()}"
        verdict = f"{label} {finding.severity.value}"
        where = finding.where
        head = self._wrap(f"  {verdict}  {finding.rule_id} [{finding.category.value}]  {finding.message}", 6)
        style = _COLOURS[finding.severity] if finding.waiver is None else {"bold": True}
        lines = [self._styled_prefix(head[0], verdict, **style), *head[1:]]

        def field(name: str, value: str) -> None:
            lines.extend(self._wrap(f"      {name + ':':<10}{value}", 16))

        if finding.source is not None:
            at = f"{where.path}:{where.line}" if where.line else where.path
            field("declared", f"{finding.declared_by} ({at})")
        if finding.location.provenance:
            field("how", " -> ".join(finding.location.provenance))
        if finding.location.note and finding.outcome is Outcome.FAIL:
            field("note", finding.location.note)
        if finding.waiver is not None:
            waiver = finding.waiver
            field("waived", f"DWP approval {waiver.approval} by {waiver.approver}, expires {waiver.expires} "
                            f"({waiver.reason}; {waiver.source})")
        if not self.compact:
            # Said in full once per rule: the same paragraph under every finding of a large estate buries them.
            field("fix", finding.remediation if first_of_rule else f"as above ({finding.rule_id})")
        lines.extend(self._wrap(f"      questionnaire: {', '.join(finding.questionnaire)}   "
                                f"fingerprint: {finding.fingerprint}", 21))
        return lines

    def _style(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if self.colour else text


def wrapped_summary(report: ScanReport, width: int = DEFAULT_WIDTH) -> str:
    """The summary line wrapped to ``width`` with a hanging indent, as the text report shows it (``--quiet``, and
    the verdict on a terminal when every report went to a file)."""
    return "\n".join(TextReporter(width=width)._wrap(summary_line(report), 9))


def summary_line(report: ScanReport) -> str:
    """The one-line verdict: fails by severity, unknowns, waived, baselined, gaps, and the threshold in force.
    The last line of the text report, and what ``--quiet`` and a report written to a file print."""
    live = [f for f in report.findings if f.waiver is None]
    outcomes = Counter(f.outcome for f in live)
    severities = Counter(f.severity for f in live if f.outcome is Outcome.FAIL)
    detail = ", ".join(f"{severities[s]} {s.value}" for s in Severity if severities[s])
    parts = [
        f"{outcomes[Outcome.FAIL]} fail" + (f" ({detail})" if detail else ""),
        f"{outcomes[Outcome.UNKNOWN]} unknown",
    ]
    waived = len(report.findings) - len(live)
    if waived:
        parts.append(f"{waived} waived (DWP-approved)")
    if report.baselined:
        parts.append(f"{len(report.baselined)} in the baseline")
    if report.filtered:
        parts.append(f"{report.filtered} hidden by {'; '.join(report.filters)}")
    gaps = sum(1 for g in report.inventory.coverage if g.incomplete)
    if gaps:
        parts.append(f"{gaps} coverage gap(s): scan incomplete")
    soft = ", --soft-fail" if report.soft_fail else ""
    if gaps and report.allow_partial:
        soft += ", --allow-partial"  # said only where it changed the exit code: gaps there were
    return "Summary: " + ", ".join(parts) + f" (--fail-on {report.fail_on}{soft})"
