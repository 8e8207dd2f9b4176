"""The text report: findings grouped by resource, each with its provenance, source and fix."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import groupby

import click

from scanner.model import Finding, Outcome, ScopeCoverage, ScopeStatus, Severity
from scanner.reporters.interface import ScanReport

_COLOURS = {Severity.CRITICAL: "magenta", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def _verdict(uk: bool | None) -> str:
    return {True: "UK", False: "outside the UK", None: "unknown"}[uk]


class TextReporter:
    """``--format text``: for people reading a terminal or a CI log."""

    def __init__(self, colour: bool = False) -> None:
        self.colour = colour

    def render(self, report: ScanReport) -> str:
        lines: list[str] = [self._header(report), ""]
        if report.baselined:
            # Said first: an empty report after a baseline is "nothing new", never "nothing found".
            shown = "no new finding" if not report.findings else f"{len(report.findings)} new finding(s) below"
            lines += [self._style(f"{len(report.baselined)} finding(s) already in the baseline are not reported "
                                  f"again; {shown}.", bold=True), ""]
        for _, group in groupby(report.findings, key=lambda f: f.resource.id):
            findings = list(group)
            resource = findings[0].resource
            where = f"{resource.source.path}:{resource.source.line}" if resource.source.line else resource.source.path
            lines.append(self._style(f"{resource.label}", bold=True) + f"  ({resource.type}, {where})")
            hosted = f"; hosted in {resource.location.describe()}" if resource.holds_data else ""
            lines.append(f"  DWP: {resource.classification.reason}{hosted}")
            for finding in findings:
                lines.extend(self._finding(finding))
            lines.append("")
        gaps = [g for g in report.inventory.coverage if g.incomplete]
        notes = [g for g in report.inventory.coverage if not g.incomplete]
        if not report.findings:
            if gaps:
                lines.append("No findings in what was scanned; but the scan is INCOMPLETE (see the coverage gaps "
                             "below).")
            elif not report.baselined:
                lines.append("No offshoring found in the DWP resources scanned.")
            lines.append("")
        lines.extend(self._paths(report))
        lines.extend(self._guardrails(report))
        for title, entries in (("Coverage gaps: the scan is incomplete", gaps), ("Notes", notes)):
            if not entries:
                continue
            lines.append(self._style(title, bold=True))
            for gap in sorted(entries, key=lambda g: (g.path, g.line or 0)):
                where = f"{gap.path}:{gap.line}" if gap.line else gap.path
                lines.append(f"  {where}: {gap.reason}")
            lines.append("")
        lines.extend(self._scopes(report))
        lines.append(self._summary(report))
        return "\n".join(lines) + "\n"

    def _scopes(self, report: ScanReport) -> list[str]:
        """Live scans: each account and region with its services by status, then the API calls per service."""
        scopes = report.inventory.scopes
        if not scopes:
            return []
        lines = [self._style("Live coverage (account/region: service status, API calls)", bold=True)]
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
            lines.append(f"  {account}/{region}: {said}")
            for scope in sorted(found, key=lambda s: s.service):
                if scope.detail and scope.status.incomplete:
                    lines.append(f"      {scope.service} {scope.status.value}: {scope.detail}")
        for account, regions in sorted(disabled.items()):
            lines.append(f"  {account}: regions not enabled (nothing can be there): {', '.join(sorted(regions))}")
        calls = Counter[str]()
        for scope in scopes:
            calls[scope.service] += scope.calls
        listed = ", ".join(f"{service} {count}" for service, count in sorted(calls.items()) if count)
        lines.append(f"API calls: {sum(calls.values())} ({listed})")
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
            lines.append(f"  {resource.id}  {hosted}")
            for flow in sorted(flows[resource.id], key=lambda f: (f.kind.value, f.description)):
                target = f"{flow.target.describe()} [{_verdict(flow.target.uk)}]"
                lines.append(f"    {flow.kind.value:<13} -> {target}  {flow.description}")
            for grant in sorted(grants[resource.id], key=lambda g: g.principal):
                who = f"{grant.principal}" + (f" ({grant.owner})" if grant.owner else "")
                where = "internal" if grant.internal else _verdict(grant.uk)
                country = f" in {grant.country}" if grant.country else ""
                lines.append(f"    {'access':<13} <- {who}{country} [{where}]  {grant.description}")
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
            lines.append(f"  {guard.kind}: {guard.description} [{scope}] ({where})")
        lines.append("")
        return lines

    def _header(self, report: ScanReport) -> str:
        inventory = report.inventory
        dwp = sum(1 for r in inventory.resources if r.classification.dwp)
        config = f", config {report.config_path}" if report.config_path else ""
        # Counted from what was scanned, not from the scopes: a management account's Organizations scope, or a
        # tenant-wide listing, is not an account or subscription read.
        subscriptions = [s for s in inventory.scanned if s.startswith("azure subscription ")]
        accounts = {s.removeprefix("aws account ") for s in inventory.scanned if s.startswith("aws account ")}
        files = len(inventory.scanned) - len(subscriptions) - len(accounts)
        azure = any(s.service.startswith("Microsoft.") for s in inventory.scopes)
        parts = []
        if inventory.scopes and (accounts or not azure):
            regions = len({s.region for s in inventory.scopes if s.account in accounts
                           and s.status is not ScopeStatus.DISABLED and s.region != "global"})
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
            f"{len(inventory.resources)} resources ({dwp} DWP), {len(inventory.flows)} data flows{config}"
        )

    def _finding(self, finding: Finding) -> list[str]:
        label = "FAIL" if finding.outcome is Outcome.FAIL else "UNKNOWN"
        if finding.waiver is not None:
            label = f"WAIVED {label.lower()}"
        colour = _COLOURS[finding.severity] if finding.waiver is None else None
        head = self._style(f"{label} {finding.severity.value}", fg=colour, bold=True)
        where = finding.where
        lines = [f"  {head}  {finding.rule_id} [{finding.category.value}]  {finding.message}"]
        if finding.source is not None:
            at = f"{where.path}:{where.line}" if where.line else where.path
            lines.append(f"      declared: {finding.declared_by} ({at})")
        if finding.location.provenance:
            lines.append(f"      how:      {' -> '.join(finding.location.provenance)}")
        if finding.location.note and finding.outcome is Outcome.FAIL:
            lines.append(f"      note:     {finding.location.note}")
        if finding.waiver is not None:
            waiver = finding.waiver
            lines.append(f"      waived:   DWP approval {waiver.approval} by {waiver.approver}, "
                         f"expires {waiver.expires} ({waiver.reason}; {waiver.source})")
        lines.append(f"      fix:      {finding.remediation}")
        lines.append(f"      questionnaire: {', '.join(finding.questionnaire)}   fingerprint: {finding.fingerprint}")
        return lines

    def _summary(self, report: ScanReport) -> str:
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
        gaps = sum(1 for g in report.inventory.coverage if g.incomplete)
        if gaps:
            parts.append(f"{gaps} coverage gap(s): scan incomplete")
        return "Summary: " + ", ".join(parts) + f" (--fail-on {report.fail_on})"

    def _style(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if self.colour else text
