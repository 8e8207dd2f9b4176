"""Collect: Terraform state, what is actually deployed, into ``ResourceRecord`` records.

Two shapes are read: ``terraform show -json`` without a plan file (``values.root_module``, the same shape
as a plan's ``planned_values``), and a ``terraform.tfstate`` file itself (format version 4:
``resources[].instances[].attributes``). State holds no provider configuration, so a record is placed by
what the provider recorded on it: its ``region`` (AWS provider v6, S3 buckets), the region field of its
ARN, or its ``location``/``region``/``zone`` (Azure, Google), which the shared rules read as for any input.
Sensitive attributes (passwords, keys) are never copied into a record: Terraform marks them, and they
become unknowns that say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from providers.semantics import geography
from providers.semantics.records import Placement, Resolved, ResourceRecord, Unknown
from scanner.model import CoverageGap, SourceRef

_MAX_MODULE_DEPTH = 64
_SENSITIVE = Unknown("a sensitive value in state: not read")


def looks_like_state(data: object) -> bool:
    """Whether a parsed JSON document is state: ``terraform show -json`` of state, or a ``.tfstate`` file."""
    if not isinstance(data, dict) or "planned_values" in data or "resource_changes" in data:
        return False
    return isinstance(data.get("values"), dict) or (isinstance(data.get("version"), int)
                                                    and isinstance(data.get("resources"), list))


def load_state(state: dict, display_path: str) -> tuple[tuple[ResourceRecord, ...], tuple[CoverageGap, ...]]:
    """Every managed resource (and data source) the state records, and what could not be read."""
    gaps: list[CoverageGap] = []
    if isinstance(state.get("values"), dict):
        raw = list(_shown_resources(state["values"].get("root_module") or {}, gaps, display_path, 0))
    else:
        version = state.get("version")
        if version != 4:
            gaps.append(CoverageGap(display_path, None, f"state format version {version} is not 4; it was read "
                                                        "as version 4 and may be misread"))
        raw = list(_file_resources(state.get("resources") or [], gaps, display_path))
    records = []
    for address, mode, resource_type, values, sensitive in raw:
        if not isinstance(values, dict):
            gaps.append(CoverageGap(display_path, None, f"{address}: has no attributes in the state; not scanned"))
            continue
        kept = {k: (_SENSITIVE if k in sensitive else v) for k, v in values.items()}
        records.append(ResourceRecord(
            address=address,
            type=resource_type,
            values=kept,
            placement=_placement(address, resource_type, kept),
            source=SourceRef(display_path, None, address),
            provenance={attribute: (f"{attribute} (state)",) for attribute in kept},
            module_path=address.rsplit(".", 2)[0] if address.startswith("module.") else "",
            mode="data" if mode == "data" else "managed",
        ))
    return tuple(records), tuple(gaps)


def _shown_resources(
    module: Any, gaps: list[CoverageGap], path: str, depth: int
) -> Iterator[tuple[str, str, str, Any, frozenset[str]]]:
    if not isinstance(module, dict) or depth > _MAX_MODULE_DEPTH:
        gaps.append(CoverageGap(path, None, "a module of the state is not an object or is nested too deeply; "
                                            "its resources were not scanned"))
        return
    for raw in module.get("resources") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("address"), str) or not isinstance(raw.get("type"), str):
            gaps.append(CoverageGap(path, None, "a resource of the state has no address or type; not scanned"))
            continue
        sensitive = raw.get("sensitive_values")
        flagged = frozenset(k for k, v in sensitive.items() if v is True) if isinstance(sensitive, dict) \
            else frozenset()
        yield raw["address"], str(raw.get("mode")), raw["type"], raw.get("values"), flagged
    for child in module.get("child_modules") or []:
        yield from _shown_resources(child, gaps, path, depth + 1)


def _file_resources(
    resources: list[Any], gaps: list[CoverageGap], path: str
) -> Iterator[tuple[str, str, str, Any, frozenset[str]]]:
    for raw in resources:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str) or not isinstance(raw.get("name"), str):
            gaps.append(CoverageGap(path, None, "a resource of the state file has no type or name; not scanned"))
            continue
        mode = str(raw.get("mode", "managed"))
        module = f"{raw['module']}." if isinstance(raw.get("module"), str) and raw["module"] else ""
        base = f"{module}{'data.' if mode == 'data' else ''}{raw['type']}.{raw['name']}"
        for instance in raw.get("instances") or []:
            if not isinstance(instance, dict):
                continue
            key = instance.get("index_key")
            address = base if key is None else f"{base}[{json.dumps(key)}]"
            yield address, mode, raw["type"], instance.get("attributes"), _sensitive_paths(instance)


def _sensitive_paths(instance: Mapping[str, Any]) -> frozenset[str]:
    # tfstate lists sensitive paths as [{"type": "get_attr", "value": "password"}, ...]; the top attribute
    # is enough to keep the value out.
    found = set()
    for steps in instance.get("sensitive_attributes") or []:
        if isinstance(steps, list) and steps and isinstance(steps[0], dict) and isinstance(steps[0].get("value"), str):
            found.add(steps[0]["value"])
    return frozenset(found)


def _placement(address: str, resource_type: str, values: Mapping[str, Any]) -> Placement:
    provider = resource_type.split("_", 1)[0]
    region = values.get("region")
    if isinstance(region, str) and region:
        return Placement(f"{provider} (state)", Resolved(region, (f"{address} region = {region!r} (state)",)))
    arn = values.get("arn")
    from_arn = geography.aws_region_of_arn(arn) if isinstance(arn, str) else None
    if from_arn:
        return Placement(f"{provider} (state)", Resolved(from_arn, (f"{address} arn {arn} (state)",)))
    return Placement(f"{provider} (state)", Resolved(
        Unknown(f"the state records no region for {address} (neither a region attribute nor one in its ARN)"),
        (f"{address} (state)",),
    ))
