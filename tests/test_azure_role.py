"""docs/azure-readonly-role.json grants every ARM operation the scan performs, and nothing that writes."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from azure_arm import TOKEN, Seen, arm_endpoint

from providers.azure.adapter import scan_azure
from providers.azure.options import AzureOptions
from providers.interface import ScanOptions

ROLE = Path(__file__).resolve().parent.parent / "docs" / "azure-readonly-role.json"


READ_ACTIONS = {"Microsoft.Web/sites/config/list/action"}
"""The one action that is not ``*/read`` the role grants: an app's settings, read with a POST (``appsettings/list``),
which the Reader role does not grant. It reads (``session.is_read_only`` lets exactly that POST through)."""


def action_of(method: str, path: str) -> str:
    """The Azure RBAC action an ARM request needs (``GET .../Microsoft.Sql/servers/s/failoverGroups`` ->
    ``Microsoft.Sql/servers/failoverGroups/read``)."""
    parts = [p for p in path.split("/") if p]
    if method == "POST" and path.lower().rstrip("/") == "/providers/microsoft.resourcegraph/resources":
        return "Microsoft.ResourceGraph/resources/read"
    if method == "POST" and path.lower().endswith("/config/appsettings/list"):
        return "Microsoft.Web/sites/config/list/action"
    assert method == "GET"
    if len(parts) == 4 and parts[0].lower() == "subscriptions" and parts[2].lower() == "providers":
        return "Microsoft.Resources/subscriptions/providers/read"  # a resource provider's api-versions
    if "providers" not in [p.lower() for p in parts]:
        # /subscriptions, /subscriptions/S, /subscriptions/S/resources, /subscriptions/S/resourcegroups
        types = parts[0::2]
        return "Microsoft.Resources/" + "/".join(types) + "/read"
    last = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    namespace, rest = parts[last + 1], parts[last + 2:]
    return f"{namespace}/{'/'.join(rest[0::2])}/read"


def _granted(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def _seen_in_scans() -> list[Seen]:
    seen: list[Seen] = []
    for options, graph in (({}, False), ({}, True), ({"management_group": "dwp-root"}, False)):
        with arm_endpoint(resource_graph=graph) as endpoint:
            scan_azure(AzureOptions(arm_endpoint=endpoint.url, token=TOKEN, **options), ScanOptions())
        seen.extend(endpoint.seen)
    return seen


@pytest.mark.parametrize(("path", "action"), [
    ("/subscriptions", "Microsoft.Resources/subscriptions/read"),
    ("/subscriptions/s/resourcegroups", "Microsoft.Resources/subscriptions/resourcegroups/read"),
    ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/x/databases/d/replicationLinks",
     "Microsoft.Sql/servers/databases/replicationLinks/read"),
    ("/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v/providers/Microsoft.Insights/"
     "diagnosticSettings", "Microsoft.Insights/diagnosticSettings/read"),
])
def test_requests_are_named_by_their_rbac_action(path: str, action: str) -> None:
    assert action_of("GET", path) == action


def test_the_role_grants_every_operation_the_scan_performs() -> None:
    role = json.loads(ROLE.read_text(encoding="utf-8"))
    needed = {action_of(s.method, s.path) for s in _seen_in_scans()}
    # Every collector ran, the follow-up reads of destinations too.
    assert len(needed) >= 19
    assert {"Microsoft.Insights/diagnosticSettings/read", "Microsoft.Authorization/roleAssignments/read",
            "Microsoft.Authorization/policyAssignments/read", "Microsoft.EventHub/namespaces/read"} <= needed
    assert sorted(a for a in needed if not _granted(a, role["Actions"])) == []


def test_the_role_only_reads() -> None:
    role = json.loads(ROLE.read_text(encoding="utf-8"))
    assert role["Actions"] and all((a.endswith("/read") or a in READ_ACTIONS) and "*" not in a
                                   for a in role["Actions"])
    assert role["DataActions"] == [] and role["NotActions"] == []
