"""ARM resources (Azure Resource Manager JSON) -> records of the azurerm type with the same meaning.

One table (``resource_map/arm_types.yaml``) for every input written in ARM's shape: ``azapi_resource``
bodies in Terraform, and later the live Azure APIs. An ARM type the table does not know gives None, and
the caller says so; a value the table names but the resource does not hold is simply absent (as an
unset attribute is in Terraform).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from providers.semantics.records import Unknown
from scanner.yaml_data import load_yaml

_TABLE = Path(__file__).with_name("resource_map") / "arm_types.yaml"


@functools.cache
def _table() -> Mapping[str, Mapping[str, Any]]:
    raw = load_yaml(_TABLE.read_text(encoding="utf-8"))["arm_types"]
    return {name.lower(): entry for name, entry in raw.items()}


def arm_type_name(arm_type: str) -> str:
    """``Microsoft.Storage/storageAccounts@2023-01-01`` -> ``microsoft.storage/storageaccounts``."""
    return arm_type.split("@", 1)[0].strip().lower()


def azurerm_type(arm_type: str, kind: Any = None) -> str | None:
    """The azurerm type an ARM type means (of that ``kind``, where azurerm has a type per kind), or None when
    the table does not know it."""
    entry = _table().get(arm_type_name(arm_type))
    if entry is None:
        return None
    words = {w.strip().lower() for w in kind.split(",")} if isinstance(kind, str) else set()
    for kinds, resource_type in (entry.get("by_kind") or {}).items():
        if {w.strip().lower() for w in str(kinds).split(",")} <= words:
            return str(resource_type)
    return str(entry["azurerm"])


def azurerm_values(arm_type: str, resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The attributes of the azurerm type, read from an ARM resource (``name``, ``location``, ``tags``,
    ``parent_id``, ``sku``, ``kind``, ``properties``...); None for an ARM type the table does not know."""
    entry = _table().get(arm_type_name(arm_type))
    if entry is None:
        return None
    values: dict[str, Any] = {key: resource[key] for key in ("name", "location", "tags", "parent_id", "id")
                              if resource.get(key) is not None}
    for attribute, spec in (entry.get("values") or {}).items():
        found = _value(resource, spec)
        if found is not None:
            _put(values, attribute, found)
    return values


def _put(values: dict[str, Any], attribute: str, found: Any) -> None:
    """Set ``attribute``; a dotted one (``destinations.log_analytics``) is a nested block of the schema."""
    *blocks, last = attribute.split(".")
    for block in blocks:
        values = values.setdefault(block, {})
    values[last] = found


def _value(resource: Mapping[str, Any], spec: Any) -> Any:
    if isinstance(spec, str):
        return _at(resource, spec)
    if "list" in spec:
        items = _at(resource, spec["list"])
        if isinstance(items, Unknown) or not isinstance(items, list):
            return items if isinstance(items, Unknown) else None
        if isinstance(spec["each"], str):
            return [_at(item, spec["each"]) for item in items if isinstance(item, Mapping)]
        return [{name: _at(item, path) for name, path in spec["each"].items()} for item in items
                if isinstance(item, Mapping)]
    found = _at(resource, spec["path"])
    if "equals" in spec and found is not None and not isinstance(found, Unknown):
        # ARM's "Enabled"/"Disabled" strings are the schema's booleans.
        return str(found).lower() == str(spec["equals"]).lower()
    if isinstance(found, str) and "after" in spec:
        return found.rsplit(spec["after"], 1)[-1]
    return found


def _at(value: Any, path: str) -> Any:
    for step in path.split("."):
        if isinstance(value, Unknown):
            return value
        if not isinstance(value, Mapping):
            return None
        # ARM property names are case-insensitive.
        value = value.get(step, next((v for k, v in value.items() if isinstance(k, str) and k.lower() == step.lower()),
                                     None))
    return value
