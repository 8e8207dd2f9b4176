"""Reading a saved JSON result back into the inventory it was written from.

The JSON report's inventory is written losslessly (every field a policy reads), so ``offshore-scan merge`` can
join results and judge the whole again: an estate-wide verdict (the region guardrail) then sees every account,
as one unsharded run would. Pure functions from the parsed document; ``ResultError`` says what is wrong.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

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
        built = Inventory(
            resources=tuple(_resource(r) for r in inventory["resources"]),
            flows=tuple(_flow(f) for f in inventory["flows"]),
            grants=tuple(_grant(g) for g in inventory["grants"]),
            coverage=tuple(CoverageGap(g["path"], g["line"], g["reason"], g["kind"]) for g in document["coverage"]),
            scanned=tuple(document.get("scanned", ())),
            guardrails=tuple(_guardrail(g) for g in document.get("guardrails", ())),
            scopes=tuple(_scope(s) for s in document.get("scopes", ())),
            audit=_audit(document["audit"]) if document.get("audit") else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ResultError(f"{name}: not a complete offshore-scan JSON result ({type(error).__name__}: {error}); "
                          "was it edited or cut short?") from None
    problem = _mistyped(built, "")
    if problem is not None:
        raise ResultError(f"{name}: not an offshore-scan JSON result as written: {problem}; was it edited?")
    return built


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """Each field of a model class with its type (resolved once: the annotations are strings)."""
    hints = get_type_hints(cls)
    return tuple((item.name, hints[item.name]) for item in fields(cls) if item.init)


_MAX_NUMBER = 2**53
"""Larger numbers than JSON carries exactly (and than any count here can be)."""


def _mistyped(value: Any, where: str, hint: Any = None) -> str | None:
    """The first value that is not of its field's type (``resources[3].classification.dwp is 'false', not a
    bool``), or None: a hand-edited result is refused at the door, never a crash in the middle of judging it."""
    if hint is None:
        hint = type(value)
    if is_dataclass(hint):
        if not isinstance(value, hint):
            return f"{where or 'the result'} is {value!r:.60}, not a {hint.__name__}"
        for field_name, field_hint in _field_hints(hint):
            found = _mistyped(getattr(value, field_name), f"{where}.{field_name}".lstrip("."), field_hint)
            if found is not None:
                return found
        return None
    options = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
    if value is None:
        return None if type(None) in options else f"{where} is missing (null)"
    for option in options:
        if option is type(None):
            continue
        if get_origin(option) is tuple:
            if not isinstance(value, tuple):
                continue
            inner = get_args(option)[0]
            for index, item in enumerate(value):
                found = _mistyped(item, f"{where}[{index}]", inner)
                if found is not None:
                    return found
            return None
        if option is Any or is_dataclass(option):
            return None if option is Any else _mistyped(value, where, option)
        if option is bool:
            if isinstance(value, bool):
                return None
        elif option is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return None if -_MAX_NUMBER <= value <= _MAX_NUMBER else f"{where} is {value}, out of range"
        elif isinstance(option, type) and isinstance(value, option):
            return None
    return f"{where} is {value!r:.60}, not {' or '.join(getattr(o, '__name__', str(o)) for o in options)}"


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
