"""Evaluate: run every policy over an inventory and turn verdicts into findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from policies.catalogue import Policy, load_policies
from policies.checks import Verdict
from providers.semantics.classification import CRITICAL_MARKINGS
from scanner.model import Finding, Inventory, Outcome, Severity


def evaluate(inventory: Inventory, policies: Iterable[Policy] | None = None) -> tuple[Finding, ...]:
    """All findings, sorted so that two runs over the same input print the same report."""
    findings: dict[str, Finding] = {}
    for policy in policies if policies is not None else load_policies():
        for verdict in policy.check(inventory):
            verdict = _hedged(verdict)
            finding = Finding(
                rule_id=policy.id,
                category=verdict.category,
                outcome=verdict.outcome,
                severity=_severity(policy, verdict.outcome, verdict.resource.classification.marking),
                resource=verdict.resource,
                message=verdict.message,
                location=verdict.location,
                questionnaire=policy.questionnaire,
                remediation=policy.remediation,
                target=verdict.target,
                source=verdict.source,
                evidence=verdict.evidence,
                judged=verdict.judged,
            )
            # The same copy declared twice (e.g. a plan listing one bucket per instance) is one finding.
            findings.setdefault(finding.fingerprint, finding)
    return tuple(sorted(findings.values(), key=sort_key))


def _hedged(verdict: Verdict) -> Verdict:
    """A failure of a resource that is only possibly DWP is an unknown: we cannot say it is offshoring."""
    classification = verdict.resource.classification
    if verdict.outcome is not Outcome.FAIL or classification.certain:
        return verdict
    return replace(
        verdict,
        outcome=Outcome.UNKNOWN,
        message=f"{verdict.message}; whether this is DWP could not be established: "
        f"{classification.reason.removeprefix('possibly DWP: ')}",
    )


def sort_key(finding: Finding) -> tuple[str, str, str, str]:
    """Resource first (reports group by it), then rule, then what was judged."""
    judged = finding.location.region or ""
    return (finding.resource.id, finding.rule_id, judged, finding.message)


def _severity(policy: Policy, outcome: Outcome, marking: str | None) -> Severity:
    if outcome is Outcome.UNKNOWN:
        return policy.unknown_severity
    if marking in CRITICAL_MARKINGS and policy.severity.rank >= Severity.HIGH.rank:
        return Severity.CRITICAL
    return policy.severity
