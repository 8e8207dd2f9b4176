"""Reading a saved JSON result back into the inventory it was written from.

The JSON report's inventory is written losslessly (every field a policy reads), so ``offshore-scan merge`` can
join results and judge the whole again: an estate-wide verdict (the region guardrail) then sees every account,
as one unsharded run would. ``ResultError`` says what is wrong, naming the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scanner.model import (
    Audit,
    Classification,
    CopyKey,
    CoverageGap,
    Encryption,
    Flow,
    FlowKind,
    Grant,
    Guardrail,
    GuardrailKind,
    Inventory,
    KeyKind,
    Location,
    Resource,
    ScopeCoverage,
    ScopeStatus,
    Shard,
    SourceRef,
)
from scanner.result_checks import contradiction
from scanner.result_shape import misshapen

SCHEMA_VERSION = 1

class ResultError(Exception):
    """A file that is not an offshore-scan JSON result this version can read; the message names the problem."""


def read_result(path: Path, max_bytes: int) -> Inventory:
    """The inventory of a result file: its size checked before a byte is parsed, then every field."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ResultError(f"{path}: {size:,} bytes, over the {max_bytes:,} a result may be (--max-result-size); "
                              "not read")
        with path.open("rb") as handle:
            text = handle.read(max_bytes + 1)  # a file that grows after the stat is still cut at the limit
    except OSError as error:
        raise ResultError(f"{path}: cannot read a JSON result: {error.strerror or error}") from None
    if len(text) > max_bytes:
        raise ResultError(f"{path}: over the {max_bytes:,} bytes a result may be (--max-result-size); not read")
    if not text.strip():
        raise ResultError(f"{path}: the file is empty, not a JSON result (was the scan that writes it stopped?)")
    try:
        document = json.loads(text)
    except RecursionError:
        raise ResultError(f"{path}: cannot read a JSON result: it is nested too deeply to be one") from None
    except ValueError as error:
        raise ResultError(f"{path}: cannot read a JSON result: {str(error)[:200]}") from None
    return inventory_of(document, str(path))


def inventory_of(document: Any, name: str) -> Inventory:
    """The inventory a JSON result holds; ``name`` (the file) is used in error messages only. Every field is
    checked (``scanner.result_shape``) and checked against the others and the region catalogue
    (``scanner.result_checks``) before anything is built: a result that fails is refused, never repaired."""
    if not isinstance(document, Mapping) or not isinstance(document.get("tool"), Mapping) or \
            document["tool"].get("name") != "offshore-scan":
        raise ResultError(f"{name}: not an offshore-scan JSON result (tool.name is not offshore-scan; write one "
                          "with --format json)")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ResultError(f"{name}: schema_version {_shown(document.get('schema_version'))} is not "
                          f"{SCHEMA_VERSION}, the version this offshore-scan reads")
    problem = misshapen(document) or contradiction(document)
    if problem is not None:
        raise ResultError(f"{name}: not an offshore-scan JSON result as written: {problem}; was it edited?")
    inventory = document["inventory"]
    return Inventory(
        resources=tuple(_resource(r) for r in inventory["resources"]),
        flows=tuple(_flow(f) for f in inventory["flows"]),
        grants=tuple(_grant(g) for g in inventory["grants"]),
        coverage=tuple(CoverageGap(g["path"], g["line"], g["reason"], g["kind"]) for g in document["coverage"]),
        scanned=tuple(document["scanned"]),
        guardrails=tuple(_guardrail(g) for g in document["guardrails"]),
        scopes=tuple(_scope(s) for s in document.get("scopes", ())),
        audit=_audit(document["audit"]) if document.get("audit") is not None else None,
    )


def _shown(value: Any) -> str:
    return repr(value)[:40] if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__


def _location(location: Mapping[str, Any], provenance: Sequence[str]) -> Location:
    return Location(location["cloud"], location["region"], location["country"], location["uk"],
                    tuple(provenance), location.get("note"))


def _source(source: Mapping[str, Any], address: str) -> SourceRef:
    return SourceRef(source["path"], source["line"], address)


def _resource(raw: Mapping[str, Any]) -> Resource:
    return Resource(
        id=raw["id"],
        type=raw["type"],
        location=_location(raw["location"], raw["provenance"]),
        classification=Classification(raw["dwp"], raw["classification"], raw["marking"], raw["certain"]),
        source=_source(raw["source"], raw["source"]["address"]),
        holds_data=raw["holds_data"],
        deployed_to=raw["deployed_to"],
        part=raw["part"],
        placement_judged=raw["placement_judged"],
        account=raw["account"],
        encryption=_encryption(raw["key"]) if raw.get("key") is not None else None,
    )


def _encryption(raw: Mapping[str, Any]) -> Encryption:
    location = raw["location"]
    return Encryption(
        raw["encrypted"], raw["key"], None if raw["kind"] is None else KeyKind(raw["kind"]),
        None if location is None else _location(location, ()), tuple(raw["how"]), raw["multi_region"],
        tuple(CopyKey(c["region"], _encryption(c)) for c in raw.get("copies") or ()))


def _flow(raw: Mapping[str, Any]) -> Flow:
    return Flow(raw["resource"], FlowKind(raw["kind"]), _location(raw["target"], raw["provenance"]),
                raw["description"], _source(raw["source"], raw["declared_by"]), raw["target_resource"])


def _grant(raw: Mapping[str, Any]) -> Grant:
    return Grant(raw["resource"], raw["principal"], raw["country"], raw["description"],
                 _source(raw["source"], raw["declared_by"]), raw["owner"], raw["internal"], raw["readable"],
                 raw["public"])


def _guardrail(raw: Mapping[str, Any]) -> Guardrail:
    accounts = raw["accounts"]
    return Guardrail(GuardrailKind(raw["kind"]), raw["description"], tuple(raw["regions"]),
                     _source(raw["source"], raw["source"]["address"]), bool(raw["uk_only"]),
                     None if accounts is None else tuple(accounts), raw["read"])


def _scope(raw: Mapping[str, Any]) -> ScopeCoverage:
    return ScopeCoverage(raw["account"], raw["region"], raw["service"], ScopeStatus(raw["status"]), raw["calls"],
                         raw["detail"])


def _audit(raw: Mapping[str, Any]) -> Audit:
    shard = raw["shard"]
    regions = raw["regions"]
    return Audit(raw["organisation"], tuple(raw["accounts"]),
                 None if shard is None else Shard(shard["index"], shard["count"], tuple(shard["accounts"])),
                 None if regions is None else tuple(regions), raw["settings"])
