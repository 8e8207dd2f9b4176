"""Azure access: role assignments and Lighthouse delegations, against the DWP resources their scope covers.

A resource scope is the resource; a resource group is the group and the DWP resources in it; a
subscription, a management group, or a scope that matches nothing scanned is every DWP Azure resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from providers.semantics.access.common import Who, is_dwp, listed, referenced_principal, shown
from providers.semantics.context import NormaliseContext
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.resource_map import holds_data
from scanner.model import Grant

Handler = Callable[[NormaliseContext, ResourceRecord], Iterator[Grant]]


def handler(resource_type: str) -> Handler | None:
    """How the grants of one Azure type are read, if it declares any."""
    return _HANDLERS.get(resource_type)


def role_assignment_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``azurerm_role_assignment``: the principal reaches what its scope covers."""
    reached, scope = azure_scope(context, record.values.get("scope"))
    who = azure_principal(context, record.values.get("principal_id"))
    role = record.values.get("role_definition_name")
    if role is None:
        role = record.values.get("role_definition_id")
    description = f"role assignment {shown(role)} on {scope} ({record.address})"
    for target in reached or [record]:
        yield who.grant(target.address, description, record)


def lighthouse_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``azurerm_lighthouse_assignment``: the definition's managing tenant reaches the scope delegated."""
    definition = context.referenced(record.values.get("lighthouse_definition_id"))
    reached, scope = azure_scope(context, record.values.get("scope"))
    if definition is None or definition.type != "azurerm_lighthouse_definition":
        who = Who(shown(record.values.get("lighthouse_definition_id")),
                  note="the Lighthouse definition is not in the scanned configuration")
        name = "a definition outside the scan"
    else:
        who = tenant_principal(context, definition.values.get("managing_tenant_id"))
        name = f"{definition.address} ({shown(definition.values.get('name'))})"
        authorisations = [
            shown(a.get("principal_display_name") or a.get("principal_id"))
            for a in listed(definition.values.get("authorization"))
            if isinstance(a, dict)
        ]
        if authorisations:
            name += f", authorising {', '.join(authorisations)}"
    description = f"Azure Lighthouse delegation of {scope} to {name} ({record.address})"
    for target in reached or [record]:
        yield who.grant(target.address, description, record)


def azure_principal(context: NormaliseContext, value: Any) -> Who:
    """A role assignment's ``principal_id``: an identity created or looked up here, or an object id."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    return Who(shown(value), party=context.estate.principal(str(value)) if value is not None else None)


def tenant_principal(context: NormaliseContext, value: Any) -> Who:
    """An Entra tenant id (Lighthouse ``managing_tenant_id``)."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    text = str(value)
    if text in context.rules.dwp_scopes:
        return Who(text, internal=True, note=f"tenant {text} is listed as DWP in the config")
    if text in context.own_accounts:
        return Who(text, internal=True, note=f"tenant {text} is the estate's own: {context.own_accounts[text]}")
    return Who(text, party=context.estate.tenant(text) or context.estate.principal(text))


def azure_scope(context: NormaliseContext, value: Any) -> tuple[list[ResourceRecord], str]:
    """The resources an Azure scope covers, and the scope in words.

    A resource is itself; a resource group is the group and the DWP resources in it; a subscription or
    management group, or a scope that matches nothing scanned, is every DWP Azure resource in the scan.
    """
    text = value if isinstance(value, str) else None
    if text is not None and (whole := re.fullmatch(r"(?i)/subscriptions/([^/]+)/?", text)):
        return in_subscription(azure_dwp(context), whole.group(1)), f"subscription {text}"
    if text is not None and "/managementgroups/" in text.lower():
        return azure_dwp(context), f"management group {text}"
    if text is not None and (group := re.fullmatch(r"(?i)/subscriptions/[^/]+/resourceGroups/([^/]+)/?", text)):
        return in_group(context, group.group(1), None), f"resource group {group.group(1)}"
    record = context.referenced(value)
    if record is None:
        return azure_dwp(context), (
            f"scope {shown(value)}, which matches nothing scanned, so every DWP Azure resource is assumed reachable"
        )
    if record.type in ("azurerm_subscription", "azurerm_management_group"):
        return azure_dwp(context), f"{record.type.removeprefix('azurerm_').replace('_', ' ')} {record.address}"
    if record.type == "azurerm_resource_group":
        return in_group(context, record.values.get("name"), record), f"resource group {record.address}"
    return [record], record.address


def in_subscription(records: list[ResourceRecord], subscription: str) -> list[ResourceRecord]:
    """The resources of one subscription, among resources whose subscription the input says (a live scan of
    several subscriptions); all of them when the input does not say (one Terraform configuration)."""
    wanted = subscription.lower()
    return [r for r in records if r.placement.account is None or r.placement.account.lower() == wanted]


def in_group(context: NormaliseContext, name: Any, group: ResourceRecord | None) -> list[ResourceRecord]:
    """A resource group (when scanned) and the DWP resources in it."""
    found = [group] if group is not None and group.mode == "managed" else []
    members: set[str] = set()
    azure = [r for r in context.records if r.mode == "managed" and r is not group and r.type.startswith("azurerm_")]
    for record in azure:
        value = record.values.get("resource_group_name")
        if (isinstance(value, str) and value == name) or (
            isinstance(value, Unknown) and group is not None and context.referenced(value) is group
        ):
            members.add(record.address)
    # Child resources name their parent, not the group (an SQL database its server_id): they are inside too.
    for record in azure:
        if record.address not in members and any(
            key.endswith("_id") and (parent := context.referenced(value)) is not None and parent.address in members
            for key, value in record.values.items()
        ):
            members.add(record.address)
    found.extend(r for r in azure if r.address in members and holds_data(r.type) and is_dwp(context, r))
    return found


def azure_dwp(context: NormaliseContext) -> list[ResourceRecord]:
    """Every DWP Azure resource in the scan that holds data, found once per scan (a role or policy assignment
    in a wholly DWP subscription is configuration: a grant reaches the data, not the assignment)."""
    return context.memo("access.azure_dwp", _azure_dwp)


def _azure_dwp(context: NormaliseContext) -> list[ResourceRecord]:
    return [r for r in context.records
            if r.mode == "managed" and r.type.startswith("azurerm_") and holds_data(r.type) and is_dwp(context, r)]


_HANDLERS: dict[str, Handler] = {
    "azurerm_role_assignment": role_assignment_grants,
    "azurerm_lighthouse_assignment": lighthouse_grants,
}
