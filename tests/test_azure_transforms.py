"""The pure half of the live Azure adapter: recorded ARM answers -> azurerm records, no HTTP.

Answers come from the recorded-shape estate the local endpoint serves (fixtures/providers/azure/claims),
so the unit tests and the end-to-end test read the same shapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure_arm import load_routes

from providers.azure.collectors.access import transform_lighthouse, transform_role_assignments
from providers.azure.collectors.diagnostics import transform_settings
from providers.azure.collectors.network import transform_virtual_network
from providers.azure.collectors.policy import transform_policy_assignments
from providers.azure.collectors.registry import transform_registry
from providers.azure.collectors.sql import transform_database, transform_server
from providers.azure.collectors.storage import transform_account
from providers.azure.ids import parse_id
from providers.azure.records import GENERIC_TYPE, arm_record, canonical_ids
from providers.interface import ScanOptions
from providers.live.failed import Failed
from providers.semantics.estate import EstateMap, Party
from providers.semantics.normalise import to_inventory
from providers.semantics.records import Unknown
from scanner.engine import evaluate
from scanner.model import Outcome, ScopeStatus

S1 = "11111111-1111-1111-1111-111111111111"
RG = f"/subscriptions/{S1}/resourceGroups/claims-rg/providers"
ROUTES = load_routes("claims")
DENIED = Failed("Microsoft.Sql", "GET failoverGroups", ScopeStatus.DENIED, "HTTP 403 AuthorizationFailed")


def answer(path: str) -> Any:
    return ROUTES[path.lower()]


def listed(name: str, subscription: str = S1) -> dict[str, Any]:
    return next(r for r in answer(f"/subscriptions/{subscription}/resources")["value"] if r["name"] == name)


def test_ids_are_read_into_their_parts() -> None:
    parsed = parse_id(f"{RG}/Microsoft.Sql/servers/claims-sql/databases/claimsdb")
    assert parsed is not None
    assert (parsed.subscription, parsed.resource_group, parsed.provider, parsed.arm_type, parsed.name) == (
        S1, "claims-rg", "Microsoft.Sql", "Microsoft.Sql/servers/databases", "claimsdb")
    setting = parse_id(f"{RG}/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/d")
    assert setting is not None and setting.arm_type == "Microsoft.Insights/diagnosticSettings"
    assert parse_id("/providers/Microsoft.Management/managementGroups/root") is None


def test_a_storage_account_becomes_the_schema_record_with_its_redundancy() -> None:
    account = answer(f"{RG}/Microsoft.Storage/storageAccounts/claimsevidence")
    records = transform_account(S1, listed("claimsevidence"), account, [])
    assert [r.type for r in records] == ["azurerm_storage_account"]
    values = records[0].values
    assert values["account_replication_type"] == "GRS"
    assert values["location"] == "uksouth" and values["resource_group_name"] == "claims-rg"
    assert records[0].placement.account == S1
    assert records[0].source.path == f"{S1}/uksouth" and records[0].source.line is None


def test_object_replication_that_cannot_be_listed_is_an_unknown_destination_not_none() -> None:
    account = answer(f"{RG}/Microsoft.Storage/storageAccounts/claimsexport")
    denied = Failed("Microsoft.Storage", "object_replication_policies.list", ScopeStatus.DENIED, "HTTP 403")
    records = transform_account(S1, listed("claimsexport"), account, denied)
    policy = next(r for r in records if r.type == "azurerm_storage_object_replication")
    assert isinstance(policy.values["destination_storage_account_id"], Unknown)
    assert "denied" in policy.values["destination_storage_account_id"].reason


def test_the_listing_record_stands_when_the_close_read_fails() -> None:
    records = transform_account(S1, listed("claimsarchive"), DENIED, [])
    # The listing carries the SKU: the copy to the pair is still judged.
    assert records[0].values["account_replication_type"] == "RAGRS"
    assert "from resources.list" in records[0].provenance["account_replication_type"][0]


def test_failover_group_partners_are_placed_by_the_location_the_group_gives() -> None:
    server = answer(f"{RG}/Microsoft.Sql/servers/claims-sql")
    groups = answer(f"{RG}/Microsoft.Sql/servers/claims-sql/failoverGroups")["value"]
    records = transform_server(S1, listed("claims-sql"), server, groups)
    types = [r.type for r in records]
    assert types == ["azurerm_mssql_server", "azurerm_mssql_failover_group", "azurerm_mssql_server"]
    group, partner = records[1], records[2]
    assert group.values["server_id"] == f"{RG}/Microsoft.Sql/servers/claims-sql"
    assert group.values["partner_server"][0]["id"].endswith("/claims-sql-dr")
    assert partner.values["location"] == "East US"


def test_a_failover_group_listing_denied_leaves_the_partner_unknown() -> None:
    records = transform_server(S1, listed("claims-sql"), None, DENIED)
    group = records[-1]
    assert group.type == "azurerm_mssql_failover_group"
    assert isinstance(group.values["partner_server"][0]["id"], Unknown)


def test_a_geo_secondary_is_a_secondary_database_where_the_link_says() -> None:
    links = answer(f"{RG}/Microsoft.Sql/servers/claims-sql/databases/claimsdb/replicationLinks")["value"]
    records = transform_database(S1, listed("claims-sql/claimsdb"), links)
    primary, secondary = records
    assert primary.values["server_id"] == f"{RG}/Microsoft.Sql/servers/claims-sql"
    assert secondary.values["create_mode"] == "Secondary"
    assert secondary.values["creation_source_database_id"] == primary.values["id"]
    assert secondary.values["location"] == "West US"


def test_a_dwp_geo_secondary_places_its_primary_as_the_same_data() -> None:
    link = {"id": "x/replicationLinks/1", "name": "1",
            "properties": {"partnerRole": "Primary", "partnerLocation": "East US", "partnerDatabase": "db",
                           "partnerServer": "primary-sql"}}
    records = transform_database(S1, listed("claims-sql/claimsdb"), [link])
    assert len(records) == 2
    primary = records[1]
    assert primary.values["location"] == "East US" and primary.values["tags"] == listed("claims-sql/claimsdb")["tags"]
    inventory = to_inventory(records, ScanOptions())
    hosted = [f for f in evaluate(inventory) if f.rule_id == "OFS-HOST-001"]
    assert [f.resource.id for f in hosted] == [primary.address]


def test_registry_replications_are_the_schema_georeplications_block_without_its_own_region() -> None:
    replications = answer(f"{RG}/Microsoft.ContainerRegistry/registries/claimsacr/replications")["value"]
    (record,) = transform_registry(S1, listed("claimsacr"), replications)
    assert record.values["georeplications"] == [{"location": "francecentral"}]


def test_peerings_are_records_of_their_network() -> None:
    network = answer(f"{RG}/Microsoft.Network/virtualNetworks/claims-vnet")
    vnet, peering = transform_virtual_network(S1, listed("claims-vnet"), network)
    assert vnet.type == "azurerm_virtual_network"
    assert peering.type == "azurerm_virtual_network_peering"
    assert peering.values["virtual_network_name"] == "claims-vnet"
    assert peering.values["resource_group_name"] == "claims-rg"
    assert peering.values["remote_virtual_network_id"].endswith("/dr-vnet")


def test_diagnostic_settings_name_their_destinations_and_a_denied_read_is_unknown() -> None:
    vault = f"{RG}/Microsoft.KeyVault/vaults/claims-kv"
    settings = answer(f"{vault}/providers/Microsoft.Insights/diagnosticSettings")["value"]
    workspace, partner = transform_settings(S1, vault, settings)
    assert workspace.type == "azurerm_monitor_diagnostic_setting"
    assert workspace.values["target_resource_id"] == vault
    assert workspace.values["log_analytics_workspace_id"].endswith("/workspaces/us-logs")
    assert partner.values["partner_solution_id"].endswith("/monitors/claims-dd")
    (unread,) = transform_settings(S1, vault, Failed("Microsoft.Insights", "GET", ScopeStatus.DENIED, "HTTP 403"))
    assert isinstance(unread.values["log_analytics_workspace_id"], Unknown)


def test_only_foreign_and_estate_named_principals_become_role_assignment_records() -> None:
    assignments = answer(f"/subscriptions/{S1}/providers/Microsoft.Authorization/roleAssignments")["value"]
    records, notes = transform_role_assignments(S1, assignments, EstateMap())
    assert [r.values["principal_type"] for r in records] == ["ForeignGroup"]
    assert records[0].values["scope"] == f"/subscriptions/{S1}/resourceGroups/claims-rg"
    assert len(notes) == 1 and notes[0].kind == "note" and "1 role assignment" in notes[0].reason
    estate = EstateMap(principals={"dddddddd-dddd-dddd-dddd-dddddddddddd": Party("Contractor", "IN", "config")})
    records, notes = transform_role_assignments(S1, assignments, estate)
    assert len(records) == 2 and notes == []


def test_lighthouse_assignments_carry_their_definition() -> None:
    found = answer(f"/subscriptions/{S1}/providers/Microsoft.ManagedServices/registrationAssignments")["value"]
    assignment, definition = transform_lighthouse(S1, found)
    assert assignment.type == "azurerm_lighthouse_assignment"
    assert assignment.values["scope"] == f"/subscriptions/{S1}"
    assert assignment.values["lighthouse_definition_id"] == definition.values["id"]
    assert definition.values["managing_tenant_id"] == "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
    assert definition.values["authorization"][0]["principal_display_name"] == "MSP operators"


def test_policy_assignments_on_a_resource_group_are_that_groups_only() -> None:
    found = answer(f"/subscriptions/{S1}/providers/Microsoft.Authorization/policyAssignments")["value"]
    on_group = {**found[0], "id": f"/subscriptions/{S1}/resourceGroups/claims-rg/providers/Microsoft.Authorization/"
                "policyAssignments/rg-only", "properties": {**found[0]["properties"],
                                                            "scope": f"/subscriptions/{S1}/resourceGroups/claims-rg"}}
    records = transform_policy_assignments(S1, [found[0], on_group])
    assert [r.type for r in records] == ["azurerm_policy_assignment", "azurerm_resource_group_policy_assignment"]
    assert records[0].values["parameters"]["listOfAllowedLocations"]["value"] == ["uksouth", "ukwest"]


def test_an_arm_type_the_table_does_not_know_is_still_placed_and_judged() -> None:
    # (Microsoft.Web/sites is mapped now, by its kind; a type no table row names is still judged.)
    record = arm_record(S1, {**listed("claims-portal"), "type": "Microsoft.Foo/portals"}, "resources.list")
    assert record.type == GENERIC_TYPE and record.values["arm_type"] == "Microsoft.Foo/portals"
    inventory = to_inventory([record], ScanOptions())
    (resource,) = inventory.resources
    assert resource.location.region == "eastus" and resource.classification.dwp
    # (OFS-GRD-001 also fails: no Allowed-locations policy is in this input.)
    assert [f.rule_id for f in evaluate(inventory) if f.rule_id != "OFS-GRD-001"] == ["OFS-HOST-001"]


@pytest.mark.parametrize(("kind", "expected"), [
    ("app,linux", "azurerm_linux_web_app"), ("app", "azurerm_windows_web_app"),
    ("functionapp,linux", "azurerm_linux_function_app"), ("functionapp", "azurerm_windows_function_app"),
    (None, "azurerm_windows_web_app"),
])
def test_an_app_service_app_is_the_azurerm_type_of_its_kind(kind: str | None, expected: str) -> None:
    assert arm_record(S1, {**listed("claims-portal"), "kind": kind}, "resources.list").type == expected


@pytest.mark.parametrize("spelling", ["UK South", "uksouth", "UKSOUTH"])
def test_locations_are_read_as_names_or_display_names(spelling: str) -> None:
    resource = {**listed("claimsevidence"), "location": spelling}
    inventory = to_inventory([arm_record(S1, resource, "resources.list")], ScanOptions())
    assert inventory.resources[0].location.region == "uksouth"
    assert inventory.resources[0].location.uk is True


def test_ids_spelt_differently_find_the_resource_they_name() -> None:
    vault = f"{RG}/Microsoft.KeyVault/vaults/claims-kv"
    settings = answer(f"{vault}/providers/Microsoft.Insights/diagnosticSettings")["value"][:1]
    workspace = {"id": "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/monitoring-rg/providers/"
                 "Microsoft.OperationalInsights/workspaces/us-logs", "name": "us-logs",
                 "type": "Microsoft.OperationalInsights/workspaces", "location": "eastus"}
    records = canonical_ids([arm_record(S1, listed("claims-kv"), "resources.list"),
                             *transform_settings(S1, vault, settings),
                             arm_record("22222222-2222-2222-2222-222222222222", workspace, "resources.list")])
    assert records[1].values["log_analytics_workspace_id"] == workspace["id"]
    findings = evaluate(to_inventory(records, ScanOptions()))
    assert [(f.rule_id, f.outcome) for f in findings if f.rule_id != "OFS-GRD-001"] == [("OFS-DIAG-001", Outcome.FAIL)]


def test_a_vault_keeps_its_redundancy_and_cross_region_restore() -> None:
    from providers.azure.collectors.vaults import transform_vault

    vault = answer(f"{RG}/Microsoft.RecoveryServices/vaults/claims-rsv")
    (record,) = transform_vault(S1, listed("claims-rsv"), vault)
    assert record.values["storage_mode_type"] == "GeoRedundant"
    assert record.values["cross_region_restore_enabled"] is True
    inventory = to_inventory([record], ScanOptions())
    (flow,) = inventory.flows  # the backup copy goes to the pair, in the UK
    assert flow.target.region == "ukwest" and flow.target.uk is True


def test_peerings_listed_on_their_own_are_read_once() -> None:
    network = answer(f"{RG}/Microsoft.Network/virtualNetworks/claims-vnet")
    embedded = network["properties"]["virtualNetworkPeerings"]
    bare = {**network, "properties": {**network["properties"], "virtualNetworkPeerings": []}}
    for read, listing in ((network, embedded), (bare, embedded), (network, [])):
        records = transform_virtual_network(S1, listed("claims-vnet"), read, listing)
        assert [r.type for r in records] == ["azurerm_virtual_network", "azurerm_virtual_network_peering"]


def test_lighthouse_definitions_listed_on_their_own_name_the_managing_tenant() -> None:
    found = answer(f"/subscriptions/{S1}/providers/Microsoft.ManagedServices/registrationAssignments")["value"]
    definition = found[0]["properties"]["registrationDefinition"]
    bare = [{**found[0], "properties": {k: v for k, v in found[0]["properties"].items()
                                        if k != "registrationDefinition"}}]
    records = transform_lighthouse(S1, bare, [definition])
    assert {r.type for r in records} == {"azurerm_lighthouse_assignment", "azurerm_lighthouse_definition"}
    inventory = to_inventory([*records, arm_record(S1, listed("claimsevidence"), "resources.list")], ScanOptions())
    assert {g.principal for g in inventory.grants} == {"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"}


def test_a_delegated_managed_identity_is_another_tenants_principal() -> None:
    delegated = {"id": f"/subscriptions/{S1}/providers/Microsoft.Authorization/roleAssignments/1", "name": "1",
                 "properties": {"principalId": "ffffffff-ffff-ffff-ffff-ffffffffffff",
                                "principalType": "ServicePrincipal", "scope": f"/subscriptions/{S1}",
                                "roleDefinitionId": "r",
                                "delegatedManagedIdentityResourceId": "/subscriptions/x/resourceGroups/y/providers/"
                                "Microsoft.ManagedIdentity/userAssignedIdentities/msp"}}
    records, notes = transform_role_assignments(S1, [delegated], EstateMap())
    assert len(records) == 1 and notes == []
