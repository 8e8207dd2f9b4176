"""The JSON report: a contract CI systems and later tools depend on (``schema_version`` 1).

Every list is sorted, so two runs over the same input produce byte-identical output.
"""

from __future__ import annotations

from typing import Any

import orjson

from scanner.model import Audit, Encryption, Finding, Flow, Grant, Guardrail, Location, Resource, ScopeCoverage
from scanner.reporters.interface import ScanReport

SCHEMA_VERSION = 1


def dump(document: Any) -> str:
    """Two-space indented JSON, as ``json.dumps(indent=2)`` writes it (non-ASCII as UTF-8). orjson, because
    the standard library's indenting encoder is pure Python: half a second on a 2,000-resource report."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


class JsonReporter:
    """``--format json``."""

    def render(self, report: ScanReport) -> str:
        return dump(self.document(report))

    def document(self, report: ScanReport) -> dict[str, Any]:
        """The report as JSON-ready data (the evidence pack is built from this, as from a saved report)."""
        document: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "offshore-scan", "version": report.tool_version},
            "findings": [finding_json(f) for f in report.findings],
            "inventory": {
                "resources": sorted((resource_json(r) for r in report.inventory.resources), key=lambda r: r["id"]),
                "flows": sorted((flow_json(f) for f in report.inventory.flows), key=_flow_key),
                "grants": sorted((grant_json(g) for g in report.inventory.grants), key=_grant_key),
            },
            "coverage": sorted(
                ({"path": g.path, "line": g.line, "reason": g.reason, "kind": g.kind}
                 for g in report.inventory.coverage),
                key=lambda g: (g["path"], g["line"] or 0, g["reason"]),
            ),
            "guardrails": sorted(
                (guardrail_json(g) for g in report.inventory.guardrails),
                key=lambda g: (g["kind"], g["source"]["path"], g["source"]["line"] or 0, g["description"]),
            ),
            "scanned": sorted(report.inventory.scanned),
        }
        if report.config_path:
            # The config the scan read (its estate map placed principals): the pack lists it among its inputs.
            # Only when there was one, so results without a config keep their shape.
            document["config"] = report.config_path
        if report.inventory.scopes:
            # Live scans only, so static reports (and their golden files) keep their shape.
            document["scopes"] = sorted((scope_json(s) for s in report.inventory.scopes),
                                        key=lambda s: (s["account"], s["region"], s["service"]))
            calls: dict[str, int] = {}
            for scope in report.inventory.scopes:
                calls[scope.service] = calls.get(scope.service, 0) + scope.calls
            # Calls per service that made any: a region that is not enabled (service "all" in `scopes`) made
            # none, and an `"all": 0` would read as the total. The values add up to the total.
            document["api_calls"] = {service: count for service, count in sorted(calls.items()) if count}
        if report.inventory.audit is not None:
            document["audit"] = audit_json(report.inventory.audit)
        if report.baselined:
            # Only when a baseline hid something, so other reports (and their golden files) keep their shape.
            document["baselined"] = [
                {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "resource": f.resource.object_id,
                 "outcome": f.outcome.value, "severity": f.severity.value, "message": f.message}
                for f in report.baselined]
        if report.filtered:
            # Only when filters hid findings: a reader of the JSON alone must not take the findings for all there are.
            document["filtered"] = {"count": report.filtered, "by": list(report.filters)}
        return document


def audit_json(audit: Audit) -> dict[str, Any]:
    """The accounts a live audit covers, and this result's shard of them."""
    shard = audit.shard
    return {"organisation": audit.organisation, "accounts": list(audit.accounts),
            "shard": None if shard is None else {"index": shard.index, "count": shard.count,
                                                 "accounts": list(shard.accounts)},
            "regions": None if audit.regions is None else list(audit.regions), "settings": audit.settings}


def guardrail_json(guard: Guardrail) -> dict[str, Any]:
    """One region guardrail; ``uk_only`` is null when the controls could not be read."""
    return {"kind": guard.kind.value, "description": guard.description, "regions": list(guard.regions),
            "uk_only": guard.uk_only if guard.read else None, "read": guard.read,
            "accounts": None if guard.accounts is None else list(guard.accounts),
            "source": {"path": guard.source.path, "line": guard.source.line, "address": guard.source.address}}


def scope_json(scope: ScopeCoverage) -> dict[str, Any]:
    """One (account, region, service) of a live scan."""
    return {"account": scope.account, "region": scope.region, "service": scope.service,
            "status": scope.status.value, "calls": scope.calls, "detail": scope.detail}


def location_json(location: Location) -> dict[str, Any]:
    """``{"cloud", "region", "country", "uk"}`` plus the note when there is one."""
    result: dict[str, Any] = {
        "cloud": location.cloud,
        "region": location.region,
        "country": location.country,
        "uk": location.uk,
    }
    if location.note:
        result["note"] = location.note
    return result


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding, in the documented shape."""
    where = finding.where
    return {
        "rule_id": finding.rule_id,
        "category": finding.category.value,
        "outcome": finding.outcome.value,
        "severity": finding.severity.value,
        "resource": finding.resource.object_id,
        "part": finding.resource.part,
        "resource_type": finding.resource.type,
        "location": location_json(finding.resource.location),
        "target": location_json(finding.target) if finding.target is not None else None,
        "declared_by": finding.declared_by,
        "source": {"path": where.path, "line": where.line},
        "message": finding.message,
        "provenance": list(finding.location.provenance),
        "questionnaire": list(finding.questionnaire),
        "remediation": finding.remediation,
        "evidence": list(finding.evidence),
        "classification": {
            "reason": finding.resource.classification.reason,
            "marking": finding.resource.classification.marking,
        },
        "fingerprint": finding.fingerprint,
        "waiver": None if finding.waiver is None else {
            "approval": finding.waiver.approval, "approver": finding.waiver.approver, "reason": finding.waiver.reason,
            "expires": finding.waiver.expires, "source": finding.waiver.source,
        },
    }


def resource_json(resource: Resource) -> dict[str, Any]:
    """One inventory resource."""
    return {
        "id": resource.id,
        "object": resource.object_id,
        "part": resource.part,
        "type": resource.type,
        "location": location_json(resource.location),
        "provenance": list(resource.location.provenance),
        "dwp": resource.classification.dwp,
        "classification": resource.classification.reason,
        "marking": resource.classification.marking,
        "holds_data": resource.holds_data,
        "certain": resource.classification.certain,
        "deployed_to": resource.deployed_to,
        "account": resource.account,
        "placement_judged": resource.placement_judged,
        "source": {"path": resource.source.path, "line": resource.source.line, "address": resource.source.address},
        "key": None if resource.encryption is None else key_json(resource.encryption),
    }


def key_json(encryption: Encryption) -> dict[str, Any]:
    """Encryption at rest: ``encrypted`` (null: not shown), the ``key``, its ``kind`` (customer or provider) and
    ``location``, whether it is ``multi_region``, ``how`` it was decided, and the keys ``copies`` land under."""
    return {
        "encrypted": encryption.encrypted,
        "key": encryption.key,
        "kind": None if encryption.key_kind is None else encryption.key_kind.value,
        "location": None if encryption.key_location is None else location_json(encryption.key_location),
        "multi_region": encryption.multi_region,
        "how": list(encryption.how),
        "copies": [{"region": c.region, **key_json(c.encryption)} for c in encryption.copies],
    }


def flow_json(flow: Flow) -> dict[str, Any]:
    """One inventory flow."""
    return {
        "resource": flow.resource_id,
        "kind": flow.kind.value,
        "target": location_json(flow.target),
        "target_resource": flow.target_id,
        "description": flow.description,
        "provenance": list(flow.target.provenance),
        "declared_by": flow.source.address,
        "source": {"path": flow.source.path, "line": flow.source.line},
    }


def grant_json(grant: Grant) -> dict[str, Any]:
    """One inventory grant."""
    return {
        "resource": grant.resource_id,
        "principal": grant.principal,
        "country": grant.country,
        "description": grant.description,
        "owner": grant.owner,
        "internal": grant.internal,
        "uk": grant.uk,
        "public": grant.public,
        "readable": grant.readable,
        "declared_by": grant.source.address,
        "source": {"path": grant.source.path, "line": grant.source.line},
    }


def _flow_key(flow: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (flow["resource"], flow["kind"], str(flow["target"]["region"]), flow["description"], flow["declared_by"])


def _grant_key(grant: dict[str, Any]) -> tuple[str, str, str, str]:
    return (grant["resource"], grant["principal"], grant["declared_by"], grant["description"])
