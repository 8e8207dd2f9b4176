"""What a tester who wrote an Azure estate of their own (from the public ARM REST shapes, without reading the
scanner) found, each case now a test against the local ARM endpoint with the real SDK clients: a policy assignment
governs only the subscriptions that list it, a resource ARM lists without a location is unknown (never its group's
region), a listing entry that names nothing is a gap (never a crash), and a long Retry-After is bounded."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from azure_arm import TOKEN, ArmEndpoint, load_routes

from providers.azure.adapter import scan_azure
from providers.azure.options import AzureOptions
from providers.azure.session import MAX_RETRY_AFTER, BoundedRetry
from providers.interface import ScanOptions
from scanner.engine import evaluate
from scanner.model import Inventory

S1 = "11111111-1111-1111-1111-111111111111"
S2 = "22222222-2222-2222-2222-222222222222"
POLICIES = f"/subscriptions/{S1}/providers/microsoft.authorization/policyassignments"


def _scan(routes: dict[str, Any], *subscriptions: str) -> Inventory:
    endpoint = ArmEndpoint(routes).start()
    try:
        return scan_azure(AzureOptions(subscriptions=subscriptions, arm_endpoint=endpoint.url, token=TOKEN),
                          ScanOptions())
    finally:
        endpoint.close()


def test_an_allowed_locations_policy_governs_only_the_subscriptions_that_list_it() -> None:
    routes = load_routes("claims")
    assignment = routes[POLICIES]["value"][0]
    routes[POLICIES] = {"value": []}  # the DWP subscription lists no assignment: the policy is another's
    routes[f"/subscriptions/{S2}/providers/microsoft.authorization/policyassignments"] = {"value": [assignment]}
    inventory = _scan(routes, S1, S2)
    [guard] = [g for g in inventory.guardrails if g.uk_only]
    assert guard.accounts == (S2,)
    [finding] = [f for f in evaluate(inventory) if f.rule_id == "OFS-GRD-001"]
    assert finding.outcome.value == "fail" and S1 in finding.message


def test_the_policy_of_the_dwp_subscription_still_holds_for_it() -> None:
    inventory = _scan(load_routes("claims"), S1)
    assert [g.accounts for g in inventory.guardrails if g.uk_only] == [(S1,)]
    assert not [f for f in evaluate(inventory) if f.rule_id == "OFS-GRD-001"]
    # No guardrail finding because the assignments were read, not because their read was skipped.
    assert [s.status.value for s in inventory.scopes if s.account == S1 and s.service == "Microsoft.Authorization"] \
        == ["scanned"]


def test_a_resource_listed_without_a_location_is_unknown_not_its_groups_region() -> None:
    routes = load_routes("claims")
    group = next(r["id"] for r in routes[f"/subscriptions/{S1}/resources"]["value"] if "/resourceGroups/" in r["id"])
    group = group.split("/providers/")[0]
    # A type read by its listing alone (no detail call places it), in a group that is in the UK.
    resource = {"id": f"{group}/providers/Microsoft.Foo/bars/bar-noloc", "name": "bar-noloc",
                "type": "Microsoft.Foo/bars", "tags": {"Classification": "OFFICIAL-SENSITIVE"}}
    routes[f"/subscriptions/{S1}/resources"]["value"].append(resource)
    inventory = _scan(routes, S1)
    [placed] = [r for r in inventory.resources if r.id.lower() == resource["id"].lower()]
    assert placed.location.uk is None and placed.location.region is None
    assert "gives no location" in (placed.location.note or "")
    assert any(f.rule_id == "OFS-UNK-001" and f.resource.id == placed.id for f in evaluate(inventory))


def test_a_listing_entry_without_an_id_or_a_type_is_a_gap_not_a_crash() -> None:
    routes = load_routes("claims")
    routes[f"/subscriptions/{S1}/resources"]["value"].append({"name": "nameless", "location": "eastus"})
    inventory = _scan(routes, S1)
    assert any("without an id or a type" in g.reason and g.incomplete for g in inventory.coverage)
    assert any(r.classification.dwp for r in inventory.resources)  # the rest is still read


def test_a_long_retry_after_is_waited_for_at_most_the_bound() -> None:
    response = SimpleNamespace(http_response=SimpleNamespace(headers={"Retry-After": "3600"}))
    assert BoundedRetry().get_retry_after(response) == MAX_RETRY_AFTER
    short = SimpleNamespace(http_response=SimpleNamespace(headers={"Retry-After": "2"}))
    assert BoundedRetry().get_retry_after(short) == 2


DENIED = {"$status": 403, "$body": {"error": {"code": "AuthorizationFailed", "message": "no read"}}}
GROUP = f"/subscriptions/{S1}/resourcegroups/claims-rg/providers"


def _unknowns(inventory: Inventory, rule: str) -> list[str]:
    return [f.resource.id.rsplit("/", 1)[-1] for f in evaluate(inventory)
            if f.rule_id == rule and f.outcome.value == "unknown"]


def test_a_denied_cosmos_db_read_leaves_its_geo_locations_unknown() -> None:
    routes = load_routes("claims")
    routes[f"{GROUP}/microsoft.documentdb/databaseaccounts/claims-cosmos"] = DENIED
    inventory = _scan(routes, S1)
    assert "claims-cosmos" in _unknowns(inventory, "OFS-UNK-001")
    assert any(g.incomplete for g in inventory.coverage)


def test_denied_network_reads_leave_its_peerings_unknown() -> None:
    routes = load_routes("claims")
    routes[f"{GROUP}/microsoft.network/virtualnetworks/claims-vnet"] = DENIED
    routes[f"{GROUP}/microsoft.network/virtualnetworks/claims-vnet/virtualnetworkpeerings"] = DENIED
    inventory = _scan(routes, S1)
    assert "claims-vnet" in _unknowns(inventory, "OFS-UNK-001")


def test_denied_role_assignments_leave_who_can_reach_dwp_resources_unknown() -> None:
    routes = load_routes("claims")
    routes[f"/subscriptions/{S1}/providers/microsoft.authorization/roleassignments"] = DENIED
    inventory = _scan(routes, S1)
    unknown = [f for f in evaluate(inventory) if f.rule_id == "OFS-ACC-001" and f.outcome.value == "unknown"
               and "role assignments" in f.message]
    assert unknown
    assert all("Microsoft.Authorization role_assignments" in f.message for f in unknown)  # said, not redacted


def test_a_listing_answer_without_a_value_list_is_a_failed_read_not_an_empty_one() -> None:
    routes = load_routes("claims")
    settings = next(k for k in routes if k.endswith("/diagnosticsettings") and routes[k].get("value"))
    routes[settings] = {"value": None}
    owner = settings.removesuffix("/providers/microsoft.insights/diagnosticsettings")
    inventory = _scan(routes, S1)
    assert any(s.service == "Microsoft.Insights" and s.status.value == "failed"
               and "not an ARM listing" in (s.detail or "") for s in inventory.scopes)
    assert any(f.rule_id == "OFS-UNK-001" and f.resource.id.lower() == owner and "not an ARM listing" in f.message
               for f in evaluate(inventory))


def test_a_storage_accounts_declared_secondary_location_is_where_its_copy_goes() -> None:
    routes = load_routes("claims")
    account = routes[f"{GROUP}/microsoft.storage/storageaccounts/claimsevidence"]
    assert account["sku"]["name"] == "Standard_GRS" and account["location"] == "uksouth"
    judged = _scan(routes, S1)
    assert not [f for f in evaluate(judged) if f.resource.id.endswith("/claimsevidence")
                and f.rule_id == "OFS-REPL-001"]  # ukwest, as the answer says: in the UK
    assert [s.status.value for s in judged.scopes if s.account == S1 and s.service == "Microsoft.Storage"] == [
        "scanned"]  # read, not skipped
    account["properties"]["secondaryLocation"] = "eastus"  # Azure's word wins over the catalogue's pairing
    [copy] = [f for f in evaluate(_scan(routes, S1)) if f.resource.id.endswith("/claimsevidence")
              and f.rule_id == "OFS-REPL-001"]
    assert copy.target is not None and copy.target.region == "eastus"
    assert any("secondary_location = 'eastus'" in step for step in copy.location.provenance)


# A second blind estate: records placed by the id that names them, each call's failure kept to what it would have
# given, an api-version lookup that fails is never silence, denied Lighthouse and rule association listings.

S9 = "99999999-9999-9999-9999-999999999999"
S6 = "66666666-6666-6666-6666-666666666666"
FAILOVER = f"{GROUP}/microsoft.sql/servers/claims-sql/failovergroups"


def test_a_failover_partner_in_another_subscription_is_placed_in_that_subscription() -> None:
    routes = load_routes("claims")
    partner = f"/subscriptions/{S9}/resourceGroups/partner-rg/providers/Microsoft.Sql/servers/claims-sql-dr"
    routes[FAILOVER]["value"][0]["properties"]["partnerServers"][0]["id"] = partner
    inventory = _scan(routes, S1)
    [placed] = [r for r in inventory.resources if r.id.lower() == partner.lower()]
    assert placed.account == S9
    # Subscription S1's foreign role assignments and Lighthouse delegation do not reach it.
    assert not [f for f in evaluate(inventory)
                if f.rule_id == "OFS-ACC-001" and f.resource.id.lower() == partner.lower()]


def test_denied_role_assignments_leave_the_policy_assignments_read() -> None:
    routes = load_routes("claims")
    routes[f"/subscriptions/{S1}/providers/microsoft.authorization/roleassignments"] = DENIED
    inventory = _scan(routes, S1)
    assert [g.accounts for g in inventory.guardrails if g.uk_only] == [(S1,)]
    assert not [g for g in inventory.guardrails if not g.read]
    assert not [f for f in evaluate(inventory) if f.rule_id == "OFS-GRD-001"]


SYNAPSE = f"/subscriptions/{S6}/resourcegroups/data-rg/providers/microsoft.synapse/workspaces/analytics-we"
UNMAPPED = f"/subscriptions/{S6}/resourceGroups/data-rg/providers/Microsoft.Foo/bars/claims-bar"
FOO = f"/subscriptions/{S6}/providers/microsoft.foo"


def _with_unmapped(routes: dict[str, Any]) -> dict[str, Any]:
    routes[f"/subscriptions/{S6}/resources"]["value"].append({
        "id": UNMAPPED, "name": "claims-bar", "type": "Microsoft.Foo/bars", "location": "uksouth",
        "tags": {"Classification": "OFFICIAL-SENSITIVE"}})
    routes[UNMAPPED.lower()] = {"id": UNMAPPED, "name": "claims-bar", "type": "Microsoft.Foo/bars",
                                "location": "uksouth", "properties": {"replicaLocation": "eastus"}}
    return routes


def _unread_bar(inventory: Inventory) -> None:
    assert any(g.incomplete and "Microsoft.Foo" in g.reason for g in inventory.coverage)
    assert any(f.rule_id == "OFS-UNK-001" and f.resource.id.lower() == UNMAPPED.lower() for f in evaluate(inventory))
    [note] = [g for g in inventory.coverage if "claims-bar" in g.reason and "does not model" in g.reason]
    assert "could not be read" in note.reason and "judged by the net" not in note.reason


def test_a_provider_lookup_that_answers_404_leaves_the_resources_body_unknown() -> None:
    routes = _with_unmapped(load_routes("claims"))
    routes[FOO] = {"$status": 404, "$body": {"error": {"code": "InvalidResourceNamespace", "message": "no such"}}}
    _unread_bar(_scan(routes, S6))


def test_a_provider_lookup_without_the_type_and_no_other_version_leaves_the_body_unknown() -> None:
    routes = _with_unmapped(load_routes("claims"))
    routes[FOO] = {"id": FOO, "namespace": "Microsoft.Foo", "resourceTypes": []}
    _unread_bar(_scan(routes, S6))


def test_a_provider_lookup_without_the_type_falls_back_to_another_version_of_the_namespace() -> None:
    routes = _with_unmapped(load_routes("claims"))
    routes[FOO] = {"id": FOO, "namespace": "Microsoft.Foo", "resourceTypes": [
        {"resourceType": "bazzes", "apiVersions": ["2024-01-01", "2024-06-01-preview"]}]}
    endpoint = ArmEndpoint(routes).start()
    try:
        inventory = scan_azure(AzureOptions(subscriptions=(S6,), arm_endpoint=endpoint.url, token=TOKEN),
                               ScanOptions())
    finally:
        endpoint.close()
    assert any(seen.path.lower() == UNMAPPED.lower() and seen.query.get("api-version") == ["2024-01-01"]
               for seen in endpoint.seen)
    assert any("Microsoft.Foo/bars" in g.reason and "2024-01-01" in g.reason for g in inventory.coverage)
    assert any(f.rule_id == "OFS-REPL-001" or (f.target is not None and f.target.region == "eastus")
               for f in evaluate(inventory) if f.resource.id.lower() == UNMAPPED.lower())


def test_a_denied_lighthouse_listing_leaves_who_reaches_the_subscription_unknown() -> None:
    routes = load_routes("claims")
    routes[f"/subscriptions/{S1}/providers/microsoft.managedservices/registrationassignments"] = DENIED
    inventory = _scan(routes, S1)
    assert any(f.rule_id == "OFS-ACC-001" and f.outcome.value == "unknown" and "Lighthouse" in f.message
               for f in evaluate(inventory))


def test_a_denied_rule_association_listing_leaves_the_vms_diagnostics_destination_unknown() -> None:
    routes = load_routes("claims")
    rule = f"/subscriptions/{S6}/resourcegroups/data-rg/providers/microsoft.insights/datacollectionrules/claims-dcr"
    routes[f"{rule}/associations"] = DENIED
    inventory = _scan(routes, S6)
    assert any(f.rule_id == "OFS-UNK-001" and f.resource.id.endswith("/claims-vm") and "claims-dcr" in f.message
               for f in evaluate(inventory))
