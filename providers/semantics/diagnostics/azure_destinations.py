"""Azure diagnostics destinations: workspaces, Event Hubs, storage, partner solutions, and the rules
(data collection rule associations, alert action groups) that send a resource's data to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from providers.semantics.context import (
    NormaliseContext,
    first,
    unresolved_value,
    values_at,
    with_provenance,
)
from providers.semantics.diagnostics.hops import Hop, endpoint_hop, flows, said, strings_in, unique, unknown_hop
from providers.semantics.endpoints import (
    place_endpoint,
)
from providers.semantics.records import ResourceRecord
from providers.semantics.telemetry_settings import (
    endpoint_location,
)
from scanner.model import Flow, FlowKind

_EVENTHUB_TYPES = ("azurerm_eventhub", "azurerm_eventhub_authorization_rule",
                   "azurerm_eventhub_namespace_authorization_rule", "azurerm_eventhub_consumer_group")


def azure_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> Hop:
    other = context.referenced(value)
    if other is None:
        fallback = ("the destination is not in the scan (scan the configuration or the subscription that holds "
                    "it)")
        location = unresolved_value("azure", value, fallback)
        return Hop(with_provenance(location, steps), None, "an unresolved destination")
    here = (*steps, other.address)
    if other.type in _EVENTHUB_TYPES:
        namespace = _eventhub_namespace(context, other)
        if namespace is not None:
            located = context.location(namespace)
            where = (*here, namespace.address, *located.provenance)
            return Hop(with_provenance(located, where), other.address, f"{other.address} in {namespace.address}")
    located = context.location(other)
    return Hop(with_provenance(located, (*here, *located.provenance)), other.address, other.address)


def _eventhub_namespace(context: NormaliseContext, record: ResourceRecord) -> ResourceRecord | None:
    namespace_id = record.values.get("namespace_id")
    if namespace_id is not None:
        found = context.referenced(namespace_id)
        if found is not None:
            return found
    if record.type == "azurerm_eventhub_consumer_group":
        hub = context.referenced(record.values.get("eventhub_id"))
        return _eventhub_namespace(context, hub) if hub is not None else None
    name = record.values.get("namespace_name")
    return next((r for r in context.of_type("azurerm_eventhub_namespace")
                 if isinstance(name, str) and r.values.get("name") == name), None)


# Partner solutions: where Terraform says nothing about the vendor's site.
_PARTNERS = {
    "azurerm_datadog_monitor": ("Datadog", "the Datadog site of an Azure-native Datadog organisation is not stated in "
                                "Terraform (such organisations are usually on US3): check the site in the "
                                "organisation's settings"),
    "azurerm_new_relic_monitor": ("New Relic", "the New Relic account's data region is not stated in Terraform: "
                                  "check it in New Relic"),
    "azurerm_dynatrace_monitor": ("Dynatrace", "the Dynatrace environment's region is not stated in Terraform: "
                                  "check it in Dynatrace"),
    "azurerm_elastic_cloud_elasticsearch": ("Elastic", "the Elastic deployment's region is not stated in "
                                            "Terraform: check it in Elastic Cloud"),
}
_PARTNER_NAMESPACES = {
    "microsoft.datadog": "azurerm_datadog_monitor",
    "newrelic.observability": "azurerm_new_relic_monitor",
    "dynatrace.observability": "azurerm_dynatrace_monitor",
    "microsoft.elastic": "azurerm_elastic_cloud_elasticsearch",
}


def partner_hop(context: NormaliseContext, value: Any, steps: tuple[str, ...]) -> Hop:
    other = context.referenced(value)
    if other is None:
        namespace = re.search(r"/providers/([^/]+)/", value, re.IGNORECASE) if isinstance(value, str) else None
        kind = _PARTNER_NAMESPACES.get(namespace.group(1).lower()) if namespace else None
        if kind is None:
            location = unresolved_value("external", value, "the partner solution is not in the scanned configuration")
            return Hop(with_provenance(location, steps), None, "an unresolved partner solution")
        vendor, reason = _PARTNERS[kind]
        return unknown_hop("external", steps, reason, f"{vendor} (Azure-native)")
    here = (*steps, other.address)
    if other.type == "azurerm_datadog_monitor":
        for text in strings_in(first(values_at(other.values, "datadog_organization"))):
            endpoint = place_endpoint(text, context.endpoints)
            if endpoint.vendor == "Datadog":
                where = (*here, said(other, "datadog_organization", text))
                return Hop(endpoint_location(endpoint, where), other.address, f"Datadog {endpoint.host}")
    vendor, reason = _PARTNERS.get(other.type, ("a partner", f"{other.type} is not a known partner solution"))
    return unknown_hop("external", here, reason, f"{vendor} via {other.address}")



_DCR_DESTINATIONS = (
    "destinations.log_analytics.workspace_resource_id",
    "destinations.event_hub.event_hub_id",
    "destinations.event_hub_direct.event_hub_id",
    "destinations.storage_blob.storage_account_id",
    "destinations.storage_blob_direct.storage_account_id",
    "destinations.monitor_account.monitor_account_id",
)


def dcr_association_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """A data collection rule associated with a DWP machine sends its logs where the rule does."""
    rule = context.referenced(record.values.get("data_collection_rule_id"))
    if rule is None:
        return
    target = record.values.get("target_resource_id")
    subjects = unique([context.referenced(target)])
    if not subjects and target is not None:
        subjects = [context.unidentified(record, "target_resource_id", target)]
    for path in _DCR_DESTINATIONS:
        for value in values_at(rule.values, path):
            if value is None:
                continue
            hop = azure_hop(context, value, (f"data_collection_rule_id -> {rule.address}", said(rule, path, value)))
            yield from flows(record, subjects, FlowKind.LOG_EXPORT, f"data collection rule {rule.address}", hop)


ALERT_ACTIONS = {
    "azurerm_monitor_metric_alert": "action.action_group_id",
    "azurerm_monitor_activity_log_alert": "action.action_group_id",
    "azurerm_monitor_scheduled_query_rules_alert_v2": "action.action_groups",
}


def azure_alert_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """An alert rule on DWP resources notifies wherever its action groups' webhooks point."""
    subjects = unique([record, *(context.referenced(s) for s in values_at(record.values, "scopes"))])
    path = ALERT_ACTIONS[record.type]
    for group_id in values_at(record.values, path):
        group = context.referenced(group_id)
        if group is None or group.type != "azurerm_monitor_action_group":
            continue
        for uri in values_at(group.values, "webhook_receiver.service_uri"):
            steps = (said(record, path, group_id), group.address,
                     said(group, "webhook_receiver.service_uri", uri))
            yield from flows(record, subjects, FlowKind.ALERTING, f"alert via {group.address}",
                              endpoint_hop(context, uri, steps))
