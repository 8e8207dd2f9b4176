"""Destinations the DWP resources' settings name but the listing did not hold (a workspace in another
subscription, a remote network, a replication target): read by id, so each flow's far end is placed.

A destination that cannot be read stays unresolved: the flow's location is unknown, never a pass, and
the denied or failed call is coverage.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from providers.azure.calls import Calls
from providers.azure.collectors import API_VERSIONS
from providers.azure.ids import parse_id
from providers.azure.records import arm_record
from providers.semantics.context import values_at
from providers.semantics.records import ResourceRecord

FOLLOWED: dict[str, tuple[str, ...]] = {
    "azurerm_monitor_diagnostic_setting": ("log_analytics_workspace_id", "storage_account_id",
                                           "eventhub_authorization_rule_id"),
    "azurerm_virtual_network_peering": ("remote_virtual_network_id",),
    "azurerm_storage_object_replication": ("destination_storage_account_id",),
    "azurerm_monitor_data_collection_rule": ("destinations.log_analytics.workspace_resource_id",
                                             "destinations.storage_blob.storage_account_id",
                                             "destinations.storage_blob_direct.storage_account_id"),
    "azurerm_log_analytics_data_export_rule": ("destination_resource_id",),
    "azurerm_log_analytics_linked_storage_account": ("storage_account_ids",),
    "azurerm_eventhub_namespace_disaster_recovery_config": ("partner_namespace_id",),
    "azurerm_servicebus_namespace_disaster_recovery_config": ("partner_namespace_id",),
    "azurerm_redis_linked_server": ("linked_redis_cache_id",),
    "azurerm_postgresql_flexible_server": ("source_server_id",),
    "azurerm_mysql_flexible_server": ("source_server_id",),
}
"""Record type -> the attributes that name a receiver by resource id."""
_RULE = "/authorizationrules/"


def wanted(records: Sequence[ResourceRecord]) -> list[str]:
    """Resource ids the settings name that no record holds, in a stable order."""
    held = {str(r.values.get("id", r.address)).lower() for r in records}
    found: dict[str, str] = {}
    for record in records:
        for path in FOLLOWED.get(record.type, ()):
            for value in values_at(record.values, path):
                if isinstance(value, str) and value.lower().startswith("/subscriptions/") \
                        and value.lower().rstrip("/") not in held:
                    found.setdefault(value.lower().rstrip("/"), value.rstrip("/"))
    return [found[k] for k in sorted(found)]


def follow(calls: Calls, records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """Records of the receivers ``wanted`` names, read by id."""
    extra: list[ResourceRecord] = []
    for resource_id in wanted(records):
        extra.extend(_read(calls, resource_id))
    return extra


def _read(calls: Calls, resource_id: str) -> Iterator[ResourceRecord]:
    target = resource_id
    if _RULE in resource_id.lower():
        # An Event Hub authorization rule lives in its namespace: the rule is known from its id alone.
        cut = resource_id.lower().index(_RULE)
        target = resource_id[:cut]
        parsed_rule = parse_id(resource_id)
        if parsed_rule is not None:
            yield arm_record(parsed_rule.subscription, {
                "id": resource_id, "type": "Microsoft.EventHub/namespaces/authorizationRules",
                "name": parsed_rule.name, "parent_id": target}, "the diagnostic setting's eventHubAuthorizationRuleId")
    parsed = parse_id(target)
    if parsed is None or parsed.arm_type is None:
        return
    version = API_VERSIONS.get(parsed.arm_type.lower())
    if version is None:
        return  # a kind offshore-scan does not read by id: the flow's far end stays unresolved
    answer: Any = calls.get(parsed.subscription, parsed.provider or "Microsoft.Resources", target, version)
    if isinstance(answer, dict) and answer.get("type") and answer.get("id"):
        yield arm_record(parsed.subscription, answer, f"GET {parsed.arm_type} (a destination named by a DWP resource)")
