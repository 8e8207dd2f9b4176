"""Live Azure, where data leaves: database replicas and geo-backups, geo-DR pairings, Event Hubs geo-replication,
Managed HSM regions, Redis linked servers, data collection rules, data exports, app settings, private endpoints,
ExpressRoute, the Activity Log, and the generic reader judged by the net. The real SDK clients against the local
ARM endpoint serving fixtures/providers/azure/claims (subscription 6666..., data-platform.json), read once by the
listings and once by Resource Graph."""

from __future__ import annotations

from typing import Any

import pytest
from azure_arm import TOKEN, arm_endpoint

from providers.azure.adapter import scan_azure
from providers.azure.collectors.generic import transform_resource
from providers.azure.options import AzureOptions
from providers.azure.records import GENERIC_TYPE, arm_record
from providers.interface import ScanOptions
from providers.semantics.normalise import to_inventory
from scanner.engine import evaluate
from scanner.model import Inventory

S2 = "22222222-2222-2222-2222-222222222222"
S6 = "66666666-6666-6666-6666-666666666666"
RG = f"/subscriptions/{S6}/resourceGroups/data-rg/providers"


def _scan(graph: bool) -> dict[str, Any]:
    with arm_endpoint(resource_graph=graph) as endpoint:
        inventory = scan_azure(AzureOptions(subscriptions=(S6, S2), arm_endpoint=endpoint.url, token=TOKEN),
                               ScanOptions())
    judged = {(f.rule_id, f.outcome.value, f.resource.id.rsplit("/", 1)[-1], f.target.region if f.target else None)
              for f in evaluate(inventory)}
    return {"inventory": inventory, "judged": judged, "seen": endpoint.seen}


@pytest.fixture(scope="module")
def listed() -> dict[str, Any]:
    return _scan(graph=False)


@pytest.fixture(scope="module")
def graphed() -> dict[str, Any]:
    return _scan(graph=True)


LEAVING = {
    ("OFS-REPL-001", "fail", "claims-pg", "northeurope"),  # read replica (GET .../replicas)
    ("OFS-REPL-001", "fail", "claims-events", "swedencentral"),  # Event Hubs geo-replication
    ("OFS-REPL-001", "fail", "claims-bus", "westeurope"),  # Service Bus geo-DR partner namespace
    ("OFS-REPL-001", "fail", "claims-hsm", "northeurope"),  # Managed HSM extended region
    ("OFS-REPL-001", "fail", "claims-cache", "westeurope"),  # Redis linked server
    ("OFS-DIAG-001", "fail", "claims-vm", "eastus"),  # data collection rule association -> us-logs
    ("OFS-DIAG-001", "fail", "claims-logs", "eastus"),  # Log Analytics data export
    ("OFS-NET-001", "fail", "claims-er", "Amsterdam"),  # ExpressRoute peering location
    ("OFS-CONN-001", "unknown", "claimsdata", "westeurope"),  # a private endpoint in another region (the net)
    ("OFS-UNK-001", "unknown", "claims-func", None),  # app settings denied: its telemetry is unknown
}


def test_where_data_leaves_is_reported(listed: dict[str, Any]) -> None:
    assert listed["judged"] >= LEAVING, sorted(LEAVING - listed["judged"])
    # The geo-DR partner in ukwest, the geo-backups of a uksouth server (ukwest) and a MySQL server without
    # replicas stay in the UK.
    quiet = {name for _, _, name, _ in listed["judged"]}
    assert "claims-mysql" not in quiet and "claims-events-dr" not in quiet
    assert not [j for j in listed["judged"] if j[2] == "claims-pg" and j[3] == "ukwest" and j[1] == "fail"]


def test_a_replica_of_a_dwp_server_is_dwp_named_by_its_source(listed: dict[str, Any]) -> None:
    replica = next(r for r in listed["inventory"].resources if r.id.endswith("/claims-pg-replica"))
    assert replica.classification.dwp
    assert replica.classification.reason == f"copy of {RG}/Microsoft.DBforPostgreSQL/flexibleServers/claims-pg"


def test_denied_app_settings_are_a_gap_and_an_unknown(listed: dict[str, Any]) -> None:
    gaps = [g for g in listed["inventory"].coverage if g.incomplete and g.path == f"{S6}/global"]
    assert any("Microsoft.Web denied" in g.reason and "/config/*/list" in g.reason for g in gaps)


def test_coverage_names_every_dwp_resource_read_by_location_only(listed: dict[str, Any]) -> None:
    notes = [g.reason for g in listed["inventory"].coverage if g.kind == "note" and g.path == f"{S6}/global"]
    assert any(n.startswith("DWP resource claims-vm (Microsoft.Compute/virtualMachines, ") for n in notes)
    assert not any("..." in n for n in notes)


def test_resource_graph_judges_the_same_with_fewer_requests(listed: dict[str, Any], graphed: dict[str, Any]) -> None:
    assert graphed["judged"] >= LEAVING
    # Resource Graph gives every resource's properties: the unmapped Synapse workspace in westeurope, untagged,
    # names the DWP account as its data lake, which the listing alone cannot see.
    assert ("OFS-CONN-001", "unknown", "claimsdata", "westeurope") in graphed["judged"]
    assert graphed["judged"] - listed["judged"] <= {j for j in graphed["judged"] if j[2] == "claimsdata"}
    posts = [s for s in graphed["seen"] if s.method == "POST" and "resourcegraph" in s.path.lower()]
    assert posts and all(s.status == 200 for s in posts)
    assert len(graphed["seen"]) < len(listed["seen"])
    listings = ("/resources", "/resourcegroups")
    assert not [s for s in graphed["seen"] if s.method == "GET" and s.path.lower().endswith(listings)]


def test_the_net_judges_an_unmapped_resource_naming_a_dwp_account_from_another_region() -> None:
    account_id = f"{RG}/Microsoft.Storage/storageAccounts/claimsdata"
    account = arm_record(S6, {"id": account_id, "name": "claimsdata", "type": "Microsoft.Storage/storageAccounts",
                              "location": "uksouth", "sku": {"name": "Standard_LRS"},
                              "tags": {"Classification": "OFFICIAL"}}, "resources.list")
    listed = {"id": f"{RG}/Microsoft.Foo/mirrors/m1", "name": "m1", "type": "Microsoft.Foo/mirrors",
              "location": "eastus"}
    [mirror] = transform_resource(S6, listed, {**listed, "properties": {"sourceResourceId": account_id}},
                                  "2024-01-01")
    assert mirror.type == GENERIC_TYPE
    assert mirror.values["type"] == "Microsoft.Foo/mirrors@2024-01-01"
    assert mirror.values["body"] == {"properties": {"sourceResourceId": account_id}}
    inventory: Inventory = to_inventory([account, mirror], ScanOptions())
    found = [(f.rule_id, f.outcome.value, f.target.region if f.target else None) for f in evaluate(inventory)
             if f.resource.id == account_id]
    assert ("OFS-CONN-001", "unknown", "eastus") in found


def test_a_resource_s_own_endpoints_are_not_places_it_sends_to() -> None:
    site = {"id": f"{RG}/Microsoft.Foo/sites/app1", "name": "app1", "type": "Microsoft.Foo/sites",
            "location": "uksouth", "tags": {"Classification": "OFFICIAL"},
            "properties": {"defaultHostName": "app1.example.net", "exportUrl": "https://collector.example.org/v1"}}
    record = arm_record(S6, site, "Resource Graph resources")
    assert record.values["body"]["properties"] == {"exportUrl": "https://collector.example.org/v1"}
