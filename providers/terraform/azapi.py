"""``azapi_resource`` and ``azapi_update_resource``: ARM resources written in Terraform, translated into
records of the azurerm type with the same meaning (``providers.semantics.arm``), so every rule for that
type applies. An ARM type the table does not know stays an ``azapi_resource`` record, which the shared
meaning counts as not understood (a note, or an incomplete scan when it is DWP): never silence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from providers.semantics.arm import azurerm_type, azurerm_values
from providers.semantics.context import json_document
from providers.semantics.records import ResourceRecord, Unknown

_TOP_LEVEL = ("name", "location", "tags", "parent_id")


def translate(records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """The records with every ``azapi_resource`` of a known ARM type as its azurerm equivalent, and every
    ``azapi_update_resource`` applied to the resource it updates."""
    translated = [_resource(r) if r.type == "azapi_resource" else r for r in records]
    by_address = {r.address: i for i, r in enumerate(translated)}
    result: list[ResourceRecord | None] = list(translated)
    for index, record in enumerate(translated):
        if record.type != "azapi_update_resource":
            continue
        target = _updated(record, by_address)
        arm_type = record.values.get("type")
        body = _arm_resource(record)
        if target is None or not isinstance(arm_type, str):
            result[index] = _resource(record)
            continue
        changes = azurerm_values(arm_type, body) or {}
        updated = result[target]
        assert updated is not None
        merged = {**updated.values, **{k: v for k, v in changes.items() if k not in _TOP_LEVEL}}
        result[target] = replace(updated, values=merged)
        result[index] = None  # a setting of the resource it updates, judged there
    return [r for r in result if r is not None]


def _arm_resource(record: ResourceRecord) -> dict[str, Any]:
    """The ARM resource an azapi record describes: its body, with the top-level attributes beside it."""
    raw = record.values.get("body")
    body = json_document(raw) if not isinstance(raw, Unknown) else raw
    if isinstance(body, Unknown):
        # Every property read from an unknown body is that unknown.
        resource: dict[str, Any] = {"sku": body, "kind": body, "properties": body}
    else:
        resource = dict(body) if isinstance(body, Mapping) else {}
    for key in _TOP_LEVEL:
        if record.values.get(key) is not None:
            resource[key] = record.values[key]
    return resource


def _resource(record: ResourceRecord) -> ResourceRecord:
    arm_type = record.values.get("type")
    if not isinstance(arm_type, str):
        return record
    resource = _arm_resource(record)
    resource_type = azurerm_type(arm_type, resource.get("kind"))
    values = azurerm_values(arm_type, resource)
    if resource_type is None or values is None:
        return record
    values["arm_type"] = arm_type
    return replace(record, type=resource_type, values=values)


def _updated(record: ResourceRecord, by_address: Mapping[str, int]) -> int | None:
    value = record.values.get("resource_id")
    if isinstance(value, Unknown) and value.ref is not None:
        return by_address.get(value.ref)
    return None
