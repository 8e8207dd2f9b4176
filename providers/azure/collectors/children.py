"""Resources whose copies and receivers are child collections: the resource read whole, then each child
collection listed (``GET {id}/{child}``) into records of the child's azurerm type.

Which collections, as data (``CHILDREN``): a flexible server's replicas, a namespace's geo-disaster recovery
pairings, a cache's linked servers, a workspace's data exports and linked storage accounts, a data collection
rule's associations. A listing that failed is one child whose data-moving settings are unknown (a denied
listing is never "no replica").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.collectors.details import unread_settings
from providers.azure.collectors.generic import collect_resource
from providers.azure.ids import provider_of
from providers.azure.records import arm_record, with_values
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

CHILDREN: Mapping[str, tuple[str, ...]] = {
    "microsoft.dbforpostgresql/flexibleservers": ("replicas",),
    "microsoft.dbformysql/flexibleservers": ("replicas",),
    "microsoft.eventhub/namespaces": ("disasterRecoveryConfigs",),
    "microsoft.servicebus/namespaces": ("disasterRecoveryConfigs",),
    "microsoft.cache/redis": ("linkedServers",),
    "microsoft.cache/redisenterprise": ("databases",),
    "microsoft.operationalinsights/workspaces": ("dataExports", "linkedStorageAccounts"),
    "microsoft.insights/datacollectionrules": ("associations",),
}
"""ARM type (lower case) -> the child collections listed under each resource of it."""
CHILD_TYPES: Mapping[str, str] = {
    "replicas": "",  # a replica is a server of its primary's own type
    "associations": "Microsoft.Insights/dataCollectionRuleAssociations",
}
"""A collection whose items are not of type ``<parent type>/<collection>``: their ARM type ("" the parent's)."""
REPLICA_ROLES = frozenset({"replica", "asyncreplica", "geoasyncreplica"})
"""``properties.replicationRole`` of a server that is a read replica (the table's ``replication_role``)."""
_EXTENSION = "/providers/microsoft.insights/datacollectionruleassociations/"


def collect_with_children(work: Work) -> list[ResourceRecord]:
    """The resource (``collect_resource``) and the records of its child collections."""
    own = collect_resource(work)
    arm_type = str(work.listed["type"])
    version = API_VERSIONS.get(arm_type.lower())
    if version is None and work.versions is not None:
        found = work.versions.of(work.subscription, arm_type)
        version = found if isinstance(found, str) else None
    children: dict[str, Any] = {}
    for child in CHILDREN.get(arm_type.lower(), ()):
        children[child] = work.calls.listing(work.subscription, provider_of(work.id), f"{work.id}/{child}",
                                             version or "") if version else None
    return [*(as_replica_aware(r) for r in own), *transform_children(work.subscription, work.listed, children)]


def transform_children(subscription: str, listed: Mapping[str, Any],
                       children: Mapping[str, Any]) -> list[ResourceRecord]:
    """One record per child of each collection (a failed listing: one child whose settings are unknown)."""
    parent_id, parent_type = str(listed["id"]), str(listed["type"])
    records: list[ResourceRecord] = []
    for child, answer in children.items():
        child_type = CHILD_TYPES.get(child, f"{parent_type}/{child}") or parent_type
        if isinstance(answer, Failed):
            stub = arm_record(subscription, {"id": f"{parent_id}/{child}/(unread)", "name": "(unread)",
                                             "type": child_type, "parent_id": parent_id}, f"GET {child}")
            records.append(unread_settings(stub, answer))
            continue
        for item in answer or []:
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
                continue
            item_type = str(item.get("type") or child_type)
            if child_type != parent_type:
                item_type = child_type  # ARM spells child types variously (Microsoft.EventHub/Namespaces/...)
            owner = _owner(item["id"]) if child == "associations" else parent_id
            record = arm_record(subscription, {**item, "type": item_type, "parent_id": owner},
                                f"GET {child} of {parent_id}")
            records.append(as_replica_aware(record))
    return records


def _owner(association_id: str) -> str:
    """The resource a data collection rule association is an extension of."""
    lowered = association_id.lower()
    return association_id[:lowered.index(_EXTENSION)] if _EXTENSION in lowered else association_id


def as_replica_aware(record: ResourceRecord) -> ResourceRecord:
    """A flexible server ARM answers with a replica's role says ``create_mode = "Replica"``: a GET gives no
    ``createMode``, and the map's read-replica flow is keyed on it."""
    role = str(record.values.get("replication_role") or "").lower()
    if role not in REPLICA_ROLES or record.values.get("create_mode") or not record.values.get("source_server_id"):
        return record
    return with_values(record, {"create_mode": "Replica"}, f"properties.replicationRole {role}")
