"""ARM JSON -> records of the azurerm type with the same meaning, through the ARM-type table shared with
``azapi_resource`` (``providers.semantics.arm``). Pure: no calls here.

A record is addressed by its resource id, placed by its subscription, and its source says the ARM call
it was read with. An ARM type the table does not know still becomes a record, ``azurerm_resource``,
placed by its own ``location``: it is judged for hosting and listed, never left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from providers.azure.ids import parse_id
from providers.semantics.arm import azurerm_type, azurerm_values
from providers.semantics.records import Placement, ResourceRecord, Unknown
from scanner.model import SourceRef

_SETTINGS = ("microsoft.authorization/", "microsoft.managedservices/", "microsoft.insights/diagnosticsettings",
             "microsoft.resources/resourcegroups")
"""Assignments, settings and groups themselves: named by a group's id, but not resources in it (a role
assignment on a group is not a member of the group it grants)."""
GENERIC_TYPE = "azurerm_resource"
"""The record type of an ARM resource the table does not map: placed by its location, its settings not read."""


def arm_record(subscription: str, resource: Mapping[str, Any], call: str,
               extra: Mapping[str, Any] | None = None) -> ResourceRecord:
    """The record of one ARM resource (``id``, ``type``, ``name``, ``location``, ``tags``, ``sku``, ``kind``,
    ``properties``; a child or extension resource also ``parent_id``). ``call`` is the ARM call it came from;
    ``extra`` adds attributes read by other calls (a registry's replications).

    The record is placed in the subscription its id names, whichever subscription's answer named it (a failover
    group's partner server in another subscription is in that one); an id that names none (a management group's
    assignment) is placed in ``subscription``, the one read."""
    arm_type = str(resource["type"])
    resource_id = str(resource["id"])
    resource_type = azurerm_type(arm_type, resource.get("kind")) or GENERIC_TYPE
    values = azurerm_values(arm_type, resource) if resource_type != GENERIC_TYPE else None
    if values is None:
        values = {key: resource[key] for key in ("name", "location", "tags", "parent_id")
                  if resource.get(key) is not None}
        # azapi_resource's shape: the net reads the body (ids of other resources, places, endpoints) whatever the
        # type; ``type`` says the ARM type and, once read by id, the api-version it was read with.
        values["type"] = arm_type
        body = generic_body(resource)
        if body:
            values["body"] = body
    parsed = parse_id(resource_id)
    values["id"] = resource_id
    values["arm_type"] = arm_type
    if parsed is not None and parsed.resource_group is not None and not arm_type.lower().startswith(_SETTINGS):
        values.setdefault("resource_group_name", parsed.resource_group)
    values.update(extra or {})
    location = values.get("location")
    # The source path names the location as ARM names it (``uksouth``), whichever spelling the answer used.
    where = "".join(location.split()).lower() if isinstance(location, str) and location else "global"
    said = f"{call} (subscription {subscription})"
    held_in = subscription if parsed is None or parsed.subscription == subscription.lower() else parsed.subscription
    return ResourceRecord(
        address=resource_id,
        type=resource_type,
        values=values,
        placement=Placement(f"azure {held_in}", account=held_in),
        source=SourceRef(f"{held_in}/{where}", None, resource_id),
        provenance={key: (f"{key} from {said}",) for key in values},
    )


_BODY_KEYS = ("properties", "sku", "kind", "identity", "zones", "managedBy", "extendedLocation")
"""What an ARM resource holds beside its name, location and tags: the body the net reads."""


def generic_body(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a resource of an unmapped type, without the endpoints that are the resource's own (a host
    named after it, ``claims-portal.azurewebsites.net``): those are where the resource is, judged as hosting,
    not a place it sends data to."""
    name = str(resource.get("name") or "").rsplit("/", 1)[-1].lower()

    def kept(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: kept(v) for k, v in value.items() if not _own_endpoint(v, name)}
        if isinstance(value, list):
            return [kept(v) for v in value if not _own_endpoint(v, name)]
        return value

    return {key: kept(resource[key]) for key in _BODY_KEYS if resource.get(key) not in (None, "", {}, [])}


def _own_endpoint(value: Any, name: str) -> bool:
    if not isinstance(value, str) or not name or "/subscriptions/" in value.lower():
        return False
    host = value.lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return "." in host and host.split(".", 1)[0] == name


_UNREAD_BODY = "locations"
"""The key of an unread body's one value: a place (the net's ``place_key``) that is not known."""


def with_body_unread(record: ResourceRecord, why: Unknown, call: str) -> ResourceRecord:
    """An ``azurerm_resource`` whose ARM body could not be read: in place of the body, the places it names are
    unknown, so a DWP resource's flows are judged unknown, never none."""
    return with_values(record, {"body": {_UNREAD_BODY: why}}, call)


def body_unread(record: ResourceRecord) -> Unknown | None:
    """Why the record's ARM body could not be read, or None when it was (or is not an ``azurerm_resource``)."""
    body = record.values.get("body")
    unread = body.get(_UNREAD_BODY) if isinstance(body, dict) and len(body) == 1 else None
    return unread if isinstance(unread, Unknown) else None


def with_values(record: ResourceRecord, extra: Mapping[str, Any], call: str) -> ResourceRecord:
    """The record with attributes another call read (``georeplications`` from a registry's replications)."""
    provenance = {**record.provenance, **{key: (f"{key} from {call}",) for key in extra}}
    return replace(record, values={**record.values, **extra}, provenance=provenance)


def canonical_ids(records: Iterable[ResourceRecord]) -> list[ResourceRecord]:
    """The records with every resource id they mention spelt as the resource's own record spells it.

    ARM ids are case-insensitive, and answers spell them differently (``resourcegroups``, ``Microsoft.
    OperationalInsights`` in a diagnostic setting, ``resourceGroups``, ``microsoft.operationalinsights``
    in the listing); the shared meaning matches ids exactly.
    """
    records = list(records)
    spelt = {str(r.values["id"]).lower(): str(r.values["id"]) for r in records if isinstance(r.values.get("id"), str)}

    def canonical(value: Any) -> Any:
        if isinstance(value, str) and value.lower().startswith("/subscriptions/"):
            return spelt.get(value.lower().rstrip("/"), value)
        if isinstance(value, Mapping):
            return {k: canonical(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canonical(v) for v in value]
        return value

    return [replace(r, values={k: (canonical(v) if k != "id" else v) for k, v in r.values.items()}) for r in records]
