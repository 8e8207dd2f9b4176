"""Who from outside the subscription's tenant can reach it: role assignments to foreign principals, and
Azure Lighthouse delegations (a managing tenant's principals acting in the subscription)."""

from __future__ import annotations

from typing import Any

from providers.azure.calls import Calls
from providers.azure.ids import subscription_path
from providers.azure.records import arm_record, with_values
from providers.live.failed import Failed
from providers.semantics.estate import EstateMap
from providers.semantics.records import ResourceRecord
from scanner.model import CoverageGap

LIGHTHOUSE_API = "2022-10-01"
_FOREIGN = "foreigngroup"
"""The principal type ARM gives a group of another tenant; every other principal is of the own tenant."""


def collect_role_assignments(calls: Calls, subscription: str,
                             estate: EstateMap) -> tuple[list[ResourceRecord], list[CoverageGap]]:
    """Role assignments in the subscription (and on everything in it)."""
    client = calls.clients.get("authorization", subscription)
    answer = calls.read(subscription, "Microsoft.Authorization", "role_assignments.list_for_subscription",
                        lambda: client.role_assignments.list_for_subscription())
    return transform_role_assignments(subscription, answer, estate)


def transform_role_assignments(subscription: str, answer: Any,
                               estate: EstateMap) -> tuple[list[ResourceRecord], list[CoverageGap]]:
    """Records of the assignments to principals of other tenants (``ForeignGroup``, or a delegated managed
    identity) and to principals the estate map names (a contractor's service principal, placed by country);
    a note counting the rest, which are principals of the subscription's own tenant. A listing that failed
    is a coverage gap (the recorder's), and no assignment is assumed absent."""
    if isinstance(answer, Failed):
        # Who holds roles here is not known: one assignment of an unknown principal over the subscription stands
        # for them, so access to its DWP resources is judged unknown, never clean.
        scope = f"/subscriptions/{subscription}"
        unread = arm_record(subscription, {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/(unread)",
                                           "name": "(unread)", "type": "Microsoft.Authorization/roleAssignments",
                                           "parent_id": scope, "properties": {"scope": scope}},
                            "role_assignments.list_for_subscription")
        return [with_values(unread, {"principal_id": answer.unknown(f"the role assignments of {scope}")},
                            f"{answer.service}:{answer.operation}")], []
    if answer is None:
        return [], []
    records, own = [], 0
    for assignment in answer:
        properties = assignment.get("properties") or {}
        principal = str(properties.get("principalId", ""))
        # A delegated managed identity is another tenant's identity acting here through Lighthouse.
        foreign = str(properties.get("principalType", "")).lower() == _FOREIGN \
            or bool(properties.get("delegatedManagedIdentityResourceId"))
        if foreign or estate.principal(principal) is not None:
            records.append(arm_record(subscription, {**assignment, "type": "Microsoft.Authorization/roleAssignments",
                                                     "parent_id": properties.get("scope")},
                                      "role_assignments.list_for_subscription"))
        else:
            own += 1
    notes = [CoverageGap(f"{subscription}/global", None, f"{own} role assignment(s) to users, groups and service "
                         "principals of the subscription's own tenant were read; who is behind them (a guest's home "
                         "tenant, a group's members) is in Microsoft Entra ID, which offshore-scan does not read: name "
                         "the ones that matter in the config's estate.principals", kind="note")] if own else []
    return records, notes


def collect_lighthouse(calls: Calls, subscription: str) -> list[ResourceRecord]:
    """Lighthouse registration assignments of the subscription, each with its definition (expanded in the
    answer; listed on their own when an answer leaves one out)."""
    base = f"{subscription_path(subscription)}/providers/Microsoft.ManagedServices"
    answer = calls.listing(subscription, "Microsoft.ManagedServices",
                           f"{base}/registrationAssignments?$expandRegistrationDefinition=true", LIGHTHOUSE_API)
    definitions: Any = None
    if isinstance(answer, list) and any(not isinstance((a.get("properties") or {}).get("registrationDefinition"), dict)
                                        for a in answer):
        definitions = calls.listing(subscription, "Microsoft.ManagedServices", f"{base}/registrationDefinitions",
                                    LIGHTHOUSE_API)
    return transform_lighthouse(subscription, answer, definitions)


def transform_lighthouse(subscription: str, answer: Any, definitions: Any = None) -> list[ResourceRecord]:
    """An ``azurerm_lighthouse_assignment`` per assignment and an ``azurerm_lighthouse_definition`` per
    definition (the managing tenant and its authorised principals), expanded or listed. A listing that failed is
    one delegation of the subscription to an unknown tenant: who reaches its DWP resources is unknown, never no one
    (as with role assignments that could not be read)."""
    if isinstance(answer, Failed):
        scope = subscription_path(subscription)
        definition_id = f"{scope}/providers/Microsoft.ManagedServices/registrationDefinitions/(unread)"
        assignment = arm_record(subscription, {
            "id": f"{scope}/providers/Microsoft.ManagedServices/registrationAssignments/(unread)", "name": "(unread)",
            "type": "Microsoft.ManagedServices/registrationAssignments", "parent_id": scope,
            "properties": {"registrationDefinitionId": definition_id}}, "GET registrationAssignments")
        definition = arm_record(subscription, {"id": definition_id, "name": "(unread)",
                                               "type": "Microsoft.ManagedServices/registrationDefinitions"},
                                "GET registrationAssignments")
        tenant = answer.unknown(f"the Lighthouse delegations of {scope}")
        return [assignment, with_values(definition, {"managing_tenant_id": tenant},
                                        f"{answer.service}:{answer.operation}")]
    if answer is None:
        return []
    records = [arm_record(subscription, {**d, "type": "Microsoft.ManagedServices/registrationDefinitions"},
                          "GET registrationDefinitions")
               for d in (definitions if isinstance(definitions, list) else []) if isinstance(d.get("id"), str)]
    for assignment in answer:
        properties = assignment.get("properties") or {}
        records.append(arm_record(subscription, {
            **assignment, "type": "Microsoft.ManagedServices/registrationAssignments",
            "parent_id": subscription_path(subscription)}, "GET registrationAssignments"))
        definition = properties.get("registrationDefinition")
        if isinstance(definition, dict) and properties.get("registrationDefinitionId"):
            records.append(arm_record(subscription, {
                **definition, "id": properties["registrationDefinitionId"],
                "type": "Microsoft.ManagedServices/registrationDefinitions"}, "GET registrationAssignments"))
    return records
