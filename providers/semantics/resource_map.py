"""The one Terraform resource map, shared by the HCL and the plan adapters.

It is data: ``resource_map/*.yaml``, one file per concern (replication, diagnostics, network), merged
into one map at load; ``identity.yaml`` says which attributes name a resource of each type. The YAML
header of ``resource_map/replication.yaml`` documents the keys.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.model import FlowKind
from scanner.yaml_data import load_yaml

_MAP_DIRECTORY = Path(__file__).with_name("resource_map")
_NOT_THE_MAP = frozenset({"arguments.yaml"})
"""Files beside the map that are not the map: the catalogue generated from the providers' documentation."""


@dataclass(frozen=True)
class Association:
    """Subjects named on another resource's side: each record of ``type`` whose ``by`` names the declaring resource
    names, at ``subject``, a resource whose data the flow carries (a query log configuration's associations name
    the VPCs whose DNS queries it logs)."""

    type: str
    by: str
    """The association's argument naming the declaring resource."""
    subject: str
    """The association's argument naming the subject."""


@dataclass(frozen=True)
class FlowSpec:
    """One entry of a type's ``flows`` in the resource map."""

    kind: FlowKind
    path: str
    target: str
    what: str
    subject: tuple[str, ...] = ()
    when: Mapping[str, Any] | None = None
    default: Any = None
    each: str | None = None
    """A prefix of ``path`` naming a list of blocks (rules): ``when`` and the rest of the path are read inside
    each block, one at a time."""
    one_subject: bool = False
    """The subjects name one body of data (an EventBridge rule's events are its bus's): the flow is credited to
    the first DWP one (else the first found), so one forward is one finding."""
    associated: Association | None = None
    """Further subjects, named by association resources (``associated`` in the map)."""


@dataclass(frozen=True)
class TypeSpec:
    """What the resource map says of one type."""

    flows: tuple[FlowSpec, ...] = ()
    location_from: str | None = None
    holds_data: bool = True
    labels_from: str | None = None
    judged_elsewhere: tuple[str, ...] = ()
    """Arguments a modelled relation reads from another resource's side (an AWS Backup selection's resources are
    the subjects of its plan's copy actions): the net beneath the map does not judge them again."""
    location_at: str | None = None
    """Path of the value that places the resource when it is not ``location``/``region``/``zone`` (a Bigtable
    instance's first cluster zone, a Spanner instance's config)."""
    location_prefix: str | None = None
    """A prefix to drop from the ``location_at`` value (``regional-`` of Spanner's ``regional-us-central1``)."""


@functools.cache
def _configuration_only() -> tuple[tuple[str, ...], frozenset[str]]:
    raw = load_yaml((_MAP_DIRECTORY / "configuration_only.yaml").read_text(encoding="utf-8"))["configuration_only"]
    return tuple(raw["patterns"]), frozenset(raw.get("except") or ())


@functools.lru_cache(maxsize=4096)
def holds_data(resource_type: str) -> bool:
    """Whether a type can hold DWP information (false for policies, attachments and other settings)."""
    spec = resource_map().get(resource_type)
    if spec is not None and not spec.holds_data:
        return False
    patterns, exceptions = _configuration_only()
    if resource_type in exceptions:
        return True
    return not any(fnmatch.fnmatchcase(resource_type, pattern) for pattern in patterns)


@functools.cache
def _identity_file() -> Mapping[str, Any]:
    return load_yaml((_MAP_DIRECTORY / "identity.yaml").read_text(encoding="utf-8"))


@functools.cache
def _identity() -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
    raw = _identity_file()["identity"]
    return tuple(raw["default"]), {name: tuple(keys) for name, keys in (raw.get("types") or {}).items()}


@functools.cache
def resource_hosts() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(host pattern with a ``name`` group, resource type) of ``identity.yaml``: hosts that name a resource."""
    return tuple((re.compile(entry["host"]), entry["type"]) for entry in _identity_file().get("resource_hosts") or ())


def computed_from_prefix(attribute: str) -> str | None:
    """The attribute (``name_prefix``) from which the provider computes ``attribute`` when it is left unset."""
    return (_identity_file().get("computed_from_prefix") or {}).get(attribute)


def identity_attributes(resource_type: str) -> tuple[str, ...]:
    """The attributes whose values name a resource of this type (``identity.yaml``): its own, then the default."""
    default, types = _identity()
    others = _not_default().get(resource_type, ())
    return (*types.get(resource_type, ()), *(key for key in default if key not in others))


@functools.cache
def _not_default() -> Mapping[str, tuple[str, ...]]:
    return {name: tuple(keys) for name, keys in (_identity_file()["identity"].get("not_default") or {}).items()}


def arn_template(resource_type: str) -> str | None:
    """How a resource of this type's ARN is built from its attributes (``identity.yaml`` ``arn_templates``)."""
    return (_identity_file().get("arn_templates") or {}).get(resource_type)


@functools.cache
def _parents() -> Mapping[str, str]:
    raw = load_yaml((_MAP_DIRECTORY / "parents.yaml").read_text(encoding="utf-8"))
    return dict(raw.get("parents") or {})


def parent_argument(resource_type: str) -> str | None:
    """The argument naming the parent whose location a type without one of its own takes (``parents.yaml``,
    generated from the providers' documentation): ``server_id`` of an Azure SQL database."""
    return _parents().get(resource_type)


@functools.cache
def _without_hosting() -> frozenset[str]:
    raw = load_yaml((_MAP_DIRECTORY / "providers.yaml").read_text(encoding="utf-8"))["understood_without_hosting"]
    return frozenset(name for names in raw.values() for name in names)


def understood_without_hosting(provider: str) -> bool:
    """Whether a provider's resources are understood although none is judged for hosting (``providers.yaml``)."""
    return provider in _without_hosting()


@functools.cache
def resource_map() -> Mapping[str, TypeSpec]:
    """The resource map, read once per process; a type may appear in several files."""
    specs: dict[str, TypeSpec] = {}
    for path in sorted(_MAP_DIRECTORY.glob("*.yaml")):
        if path.name in _NOT_THE_MAP:
            continue
        for type_name, entry in (load_yaml(path.read_text(encoding="utf-8")) or {}).get("types", {}).items():
            specs[type_name] = _merge(specs.get(type_name), _type_spec(entry))
    return specs


def _type_spec(entry: Mapping[str, Any]) -> TypeSpec:
    flows = tuple(
        FlowSpec(
            kind=FlowKind(flow["kind"]),
            path=flow["path"],
            target=flow["target"],
            what=flow["what"],
            subject=_as_tuple(flow.get("subject")),
            when=flow.get("when"),
            default=flow.get("default"),
            each=flow.get("each"),
            one_subject=bool(flow.get("one_subject", False)),
            associated=Association(**flow["associated"]) if flow.get("associated") else None,
        )
        for flow in entry.get("flows", ())
    )
    for flow_spec in flows:
        if flow_spec.each is not None and not flow_spec.path.startswith(f"{flow_spec.each}."):
            raise ValueError(f"resource map: each {flow_spec.each!r} is not a prefix of path {flow_spec.path!r}")
    return TypeSpec(flows, entry.get("location_from"), entry.get("holds_data", True), entry.get("labels_from"),
                    _as_tuple(entry.get("judged_elsewhere")), entry.get("location_at"), entry.get("location_prefix"))


def _merge(first: TypeSpec | None, second: TypeSpec) -> TypeSpec:
    if first is None:
        return second
    return TypeSpec(
        flows=first.flows + second.flows,
        location_from=first.location_from or second.location_from,
        holds_data=first.holds_data and second.holds_data,
        labels_from=first.labels_from or second.labels_from,
        judged_elsewhere=first.judged_elsewhere + second.judged_elsewhere,
        location_at=first.location_at or second.location_at,
        location_prefix=first.location_prefix or second.location_prefix,
    )



def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@functools.cache
def _copies() -> Mapping[str, tuple[str, ...]]:
    raw = load_yaml((_MAP_DIRECTORY / "copies.yaml").read_text(encoding="utf-8"))["copies"]
    return {type_name: tuple(paths) for type_name, paths in raw.items()}


@functools.cache
def replica_kinds() -> frozenset[FlowKind]:
    """Flow kinds whose receiving resource holds the subject's data (``copies.yaml`` ``replica_kinds``)."""
    raw = load_yaml((_MAP_DIRECTORY / "copies.yaml").read_text(encoding="utf-8")).get("replica_kinds") or ()
    return frozenset(FlowKind(kind) for kind in raw)


def copy_sources(resource_type: str) -> tuple[str, ...]:
    """The arguments naming what a resource of this type is a copy of (``copies.yaml``); none for other types."""
    return _copies().get(resource_type, ())
