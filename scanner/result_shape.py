"""The shape of a JSON result as ``scanner.reporters.json_report`` writes it, checked field by field.

A result is read back (``merge``, ``evidence``) only after every field it holds has been checked for presence, type
and size against this description, so a hand-edited file is refused naming the field (``inventory.resources[3].dwp
is 'false', not bool``), never a crash part-way, a silently defaulted value or a loop sized by the file. Every
field the writer always writes is required: a reader that filled in a dropped ``certain`` or ``holds_data`` would
judge a different estate from the one the result describes. Keys this version does not know are ignored (schema 1
may gain fields). ``findings`` are derived from the inventory and judged again, so only their container is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_STRING = 100_000
"""Characters in one string: far above any name, description or reason the scanner writes."""
MAX_ITEMS = 2_000_000
"""Items in one list: far above any estate; the file's own size limit bounds memory first."""
MAX_NUMBER = 2**31 - 1
"""Line numbers, shard numbers and call counts: none comes near it."""


@dataclass(frozen=True)
class Shape:
    """What one JSON value must be: ``kind`` one of str, int, bool, list, object, any; ``null`` allows None."""

    kind: str
    null: bool = False
    item: Shape | None = None
    required: Mapping[str, Shape] = field(default_factory=dict)
    optional: Mapping[str, Shape] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    minimum: int = 0


def _str(*choices: str, null: bool = False) -> Shape:
    return Shape("str", null=null, choices=choices)


def _int(null: bool = False, minimum: int = 0) -> Shape:
    return Shape("int", null=null, minimum=minimum)


def _list(item: Shape, null: bool = False) -> Shape:
    return Shape("list", null=null, item=item)


def _object(null: bool = False, optional: Mapping[str, Shape] | None = None, **required: Shape) -> Shape:
    return Shape("object", null=null, required=required, optional=optional or {})


_BOOL = Shape("bool")
_LINE = _int(null=True, minimum=1)
_STRINGS = _list(_str())
_LOCATION = _object(cloud=_str(), region=_str(null=True), country=_str(null=True), uk=Shape("bool", null=True),
                    optional={"note": _str(null=True)})
_SOURCE = _object(path=_str(), line=_LINE)
KEY_KINDS = ("customer", "provider")
_KEY_FIELDS: dict[str, Shape] = {
    "encrypted": Shape("bool", null=True), "key": _str(null=True), "kind": _str(*KEY_KINDS, null=True),
    "location": _object(null=True, cloud=_str(), region=_str(null=True), country=_str(null=True),
                        uk=Shape("bool", null=True), optional={"note": _str(null=True)}),
    "multi_region": _BOOL, "how": _STRINGS}
_KEY = _object(null=True, optional={"copies": _list(_object(region=_str(null=True), **_KEY_FIELDS))}, **_KEY_FIELDS)
"""Encryption at rest of a data-holding resource (null for others); results written before it existed lack it."""
_ADDRESSED = _object(path=_str(), line=_LINE, address=_str())

FLOW_KINDS = ("replication", "backup-copy", "read-replica", "edge-cache", "log-export", "telemetry", "alerting",
              "peering", "interconnect", "egress", "connected")
GUARDRAIL_KINDS = ("aws-scp-region-deny", "azure-policy-allowed-locations")
SCOPE_STATUSES = ("scanned", "denied", "disabled", "throttled", "failed")
GAP_KINDS = ("error", "skipped", "note")

RESULT = _object(
    schema_version=_int(),
    tool=_object(name=_str(), version=_str()),
    findings=_list(Shape("object")),
    inventory=_object(
        resources=_list(_object(
            id=_str(), object=_str(), part=_str(null=True), type=_str(), location=_LOCATION, provenance=_STRINGS,
            dwp=_BOOL, classification=_str(), marking=_str(null=True), holds_data=_BOOL, certain=_BOOL,
            deployed_to=_str(null=True), account=_str(null=True), placement_judged=_BOOL, source=_ADDRESSED,
            optional={"key": _KEY})),
        flows=_list(_object(
            resource=_str(), kind=_str(*FLOW_KINDS), target=_LOCATION, target_resource=_str(null=True),
            description=_str(), provenance=_STRINGS, declared_by=_str(), source=_SOURCE)),
        grants=_list(_object(
            resource=_str(), principal=_str(), country=_str(null=True), description=_str(), owner=_str(null=True),
            internal=_BOOL, uk=Shape("bool", null=True), public=_BOOL, readable=_BOOL, declared_by=_str(),
            source=_SOURCE)),
    ),
    coverage=_list(_object(path=_str(), line=_LINE, reason=_str(), kind=_str(*GAP_KINDS))),
    guardrails=_list(_object(
        kind=_str(*GUARDRAIL_KINDS), description=_str(), regions=_STRINGS, uk_only=Shape("bool", null=True),
        read=_BOOL, accounts=_list(_str(), null=True), source=_ADDRESSED)),
    scanned=_STRINGS,
    optional={
        "scopes": _list(_object(account=_str(), region=_str(), service=_str(), status=_str(*SCOPE_STATUSES),
                                calls=_int(), detail=_str(null=True))),
        "api_calls": Shape("object"),
        "config": _str(),
        "baselined": _list(_object(fingerprint=_str(), rule_id=_str(), resource=_str(), outcome=_str(),
                                   severity=_str(), message=_str())),
        "audit": _object(organisation=_str(null=True), accounts=_STRINGS, regions=_list(_str(), null=True),
                         settings=_str(),
                         shard=_object(null=True, index=_int(), count=_int(minimum=1), accounts=_STRINGS)),
    },
)
"""A whole result, as the JSON reporter writes it (``scopes`` and ``audit`` only for live scans, ``config`` only when
the scan read a config file)."""


def misshapen(value: Any, shape: Shape = RESULT, where: str = "") -> str | None:
    """The first field of ``value`` that does not fit ``shape`` (``inventory.flows[2].kind is 'teleport', not one
    of replication, ...``), or None. Recursion follows the shape (a few levels), never the document's own nesting."""
    name = where or "the result"
    if value is None:
        return None if shape.null else f"{name} is null, not {_said(shape)}"
    if shape.kind == "any":
        return None
    if shape.kind == "bool":
        return None if isinstance(value, bool) else f"{name} is {_show(value)}, not bool"
    if shape.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} is {_show(value)}, not int"
        return None if shape.minimum <= value <= MAX_NUMBER else f"{name} is {_show(value)}, out of range"
    if shape.kind == "str":
        if not isinstance(value, str):
            return f"{name} is {_show(value)}, not str"
        if len(value) > MAX_STRING:
            return f"{name} is {len(value):,} characters long, over the {MAX_STRING:,} a result holds"
        if shape.choices and value not in shape.choices:
            return f"{name} is {_show(value)}, not one of {', '.join(shape.choices)}"
        return None
    if shape.kind == "list":
        if not isinstance(value, list):
            return f"{name} is {_show(value)}, not a list"
        if len(value) > MAX_ITEMS:
            return f"{name} has {len(value):,} entries, over the {MAX_ITEMS:,} a result holds"
        assert shape.item is not None
        for index, item in enumerate(value):
            found = misshapen(item, shape.item, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    if not isinstance(value, Mapping):
        return f"{name} is {_show(value)}, not an object"
    for key, inner in shape.required.items():
        if key not in value:
            return f"{where + '.' if where else ''}{key} is missing"
        found = misshapen(value[key], inner, f"{where + '.' if where else ''}{key}")
        if found is not None:
            return found
    for key, inner in shape.optional.items():
        if key in value:
            found = misshapen(value[key], inner, f"{where + '.' if where else ''}{key}")
            if found is not None:
                return found
    return None


def _said(shape: Shape) -> str:
    return {"str": "str", "int": "int", "bool": "bool", "list": "a list", "object": "an object"}.get(shape.kind,
                                                                                                  shape.kind)


def _show(value: Any) -> str:
    """A value as a message shows it: short, whatever its size (a 2**53 or a megabyte string stays one line)."""
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**12:
        return f"{value:.3g}" if abs(value) < 10**300 else "a number of over 300 digits"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
