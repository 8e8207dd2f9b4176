"""Reading a saved JSON result back into the inventory it was written from.

The JSON report's inventory is written losslessly (every field a policy reads), so ``offshore-scan merge`` can
join results and judge the whole again: an estate-wide verdict (the region guardrail) then sees every account,
as one unsharded run would. Pure functions from the parsed document; ``ResultError`` says what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.model import (
    Audit,
    Classification,
    CoverageGap,
    Flow,
    FlowKind,
    Grant,
    Guardrail,
    GuardrailKind,
    Inventory,
    Location,
    Resource,
    ScopeCoverage,
    ScopeStatus,
    Shard,
    SourceRef,
)

SCHEMA_VERSION = 1


class ResultError(Exception):
    """A file that is not an offshore-scan JSON result this version can read; the message names the problem."""


def inventory_of(document: Any, name: str) -> Inventory:
    """The inventory a JSON result holds; ``name`` (the file) is used in error messages only."""
    if not isinstance(document, Mapping) or (document.get("tool") or {}).get("name") != "offshore-scan":
        raise ResultError(f"{name}: not an offshore-scan JSON result (write one with --format json)")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ResultError(f"{name}: schema_version {document.get('schema_version')!r} is not {SCHEMA_VERSION}, "
                          "the version this offshore-scan reads")
    try:
        inventory = document["inventory"]
        return Inventory(
            resources=tuple(_resource(r) for r in inventory["resources"]),
            flows=tuple(_flow(f) for f in inventory["flows"]),
            grants=tuple(_grant(g) for g in inventory["grants"]),
            coverage=tuple(CoverageGap(g["path"], g["line"], g["reason"], g["kind"]) for g in document["coverage"]),
            scanned=tuple(document.get("scanned", ())),
            guardrails=tuple(_guardrail(g) for g in document.get("guardrails", ())),
            scopes=tuple(_scope(s) for s in document.get("scopes", ())),
            audit=_audit(document["audit"]) if document.get("audit") else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ResultError(f"{name}: not a complete offshore-scan JSON result ({type(error).__name__}: {error}); "
                          "was it edited or cut short?") from None


def audit_of(document: Mapping[str, Any], name: str) -> Audit | None:
    """The ``audit`` block of a JSON result, if it has one."""
    try:
        return _audit(document["audit"]) if document.get("audit") else None
    except (KeyError, TypeError, ValueError) as error:
        raise ResultError(f"{name}: its audit block is not complete ({type(error).__name__}: {error})") from None


def _location(location: Mapping[str, Any], provenance: Sequence[str] = ()) -> Location:
    return Location(location["cloud"], location["region"], location["country"], location["uk"],
                    tuple(provenance), location.get("note"))


def _source(source: Mapping[str, Any], address: str) -> SourceRef:
    return SourceRef(source["path"], source["line"], source.get("address", address))


def _resource(raw: Mapping[str, Any]) -> Resource:
    return Resource(
        id=raw["id"],
        type=raw["type"],
        location=_location(raw["location"], raw.get("provenance", ())),
        classification=Classification(raw["dwp"], raw.get("classification", ""), raw.get("marking"),
                                      raw.get("certain", True)),
        source=_source(raw["source"], raw.get("object", raw["id"])),
        holds_data=raw.get("holds_data", True),
        deployed_to=raw.get("deployed_to"),
        part=raw.get("part"),
        placement_judged=raw.get("placement_judged", True),
        account=raw.get("account"),
    )


def _flow(raw: Mapping[str, Any]) -> Flow:
    return Flow(raw["resource"], FlowKind(raw["kind"]), _location(raw["target"], raw.get("provenance", ())),
                raw["description"], _source(raw["source"], raw["declared_by"]), raw.get("target_resource"))


def _grant(raw: Mapping[str, Any]) -> Grant:
    return Grant(raw["resource"], raw["principal"], raw["country"], raw["description"],
                 _source(raw["source"], raw["declared_by"]), raw.get("owner"), raw.get("internal", False),
                 raw.get("readable", True), raw.get("public", False))


def _guardrail(raw: Mapping[str, Any]) -> Guardrail:
    accounts = raw.get("accounts")
    return Guardrail(GuardrailKind(raw["kind"]), raw["description"], tuple(raw["regions"]),
                     _source(raw["source"], raw["source"].get("address", "")), bool(raw["uk_only"]),
                     None if accounts is None else tuple(accounts), raw.get("read", raw["uk_only"] is not None))


def _scope(raw: Mapping[str, Any]) -> ScopeCoverage:
    return ScopeCoverage(raw["account"], raw["region"], raw["service"], ScopeStatus(raw["status"]), raw["calls"],
                         raw["detail"])


def _audit(raw: Mapping[str, Any]) -> Audit:
    shard = raw["shard"]
    regions = raw.get("regions")
    return Audit(raw["organisation"], tuple(raw["accounts"]),
                 None if shard is None else Shard(shard["index"], shard["count"], tuple(shard["accounts"])),
                 None if regions is None else tuple(regions), raw.get("settings", ""))
