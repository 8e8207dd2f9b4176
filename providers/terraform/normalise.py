"""Normalise: ``TerraformResource`` records (from HCL or a plan) -> the scanner's ``Inventory``.

Pure functions: records and rules in, inventory out. What a type means comes from
``resource_map.yaml``; the few ways of placing a value are the ``_TARGETS`` registry below.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from providers.terraform.values import TerraformResource, Unknown
from scanner import geography
from scanner.classification import ClassificationRules
from scanner.model import (
    NOT_DWP,
    Classification,
    CoverageGap,
    Flow,
    FlowKind,
    Inventory,
    Location,
    Resource,
)
from scanner.yaml_data import load_yaml

_CLOUD_OF_PREFIX = {"aws": "aws", "azurerm": "azure", "google": "gcp"}


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


@dataclass(frozen=True)
class TypeSpec:
    """What the resource map says of one type."""

    flows: tuple[FlowSpec, ...] = ()
    location_from: str | None = None
    holds_data: bool = True
    labels_from: str | None = None


@functools.cache
def resource_map() -> Mapping[str, TypeSpec]:
    """The resource map, read once per process."""
    raw = load_yaml((Path(__file__).with_name("resource_map.yaml")).read_text())
    specs: dict[str, TypeSpec] = {}
    for type_name, entry in raw["types"].items():
        flows = tuple(
            FlowSpec(
                kind=FlowKind(flow["kind"]),
                path=flow["path"],
                target=flow["target"],
                what=flow["what"],
                subject=_as_tuple(flow.get("subject")),
                when=flow.get("when"),
                default=flow.get("default"),
            )
            for flow in entry.get("flows", ())
        )
        specs[type_name] = TypeSpec(
            flows, entry.get("location_from"), entry.get("holds_data", True), entry.get("labels_from")
        )
    return specs


def to_inventory(
    records: Sequence[TerraformResource],
    rules: ClassificationRules,
    gaps: Sequence[CoverageGap] = (),
    scanned: Sequence[str] = (),
) -> Inventory:
    """The inventory of a Terraform input."""
    context = _Context(records, rules)
    resources = tuple(context.resource(r) for r in records if r.type.split("_", 1)[0] in _CLOUD_OF_PREFIX)
    flows = tuple(flow for record in records for flow in context.flows(record))
    return Inventory(resources=resources, flows=flows, coverage=tuple(gaps), scanned=tuple(scanned))


class _Context:
    """Lookups across all records of one input (references, bucket names, ARNs)."""

    def __init__(self, records: Sequence[TerraformResource], rules: ClassificationRules) -> None:
        self.rules = rules
        self.by_address = {r.address: r for r in records}
        # Plans index instances (aws_s3_bucket.b[0]); HCL references name the resource (aws_s3_bucket.b).
        for record in records:
            self.by_address.setdefault(re.sub(r"\[[^\]]*\]$", "", record.address), record)
        self.by_identity: dict[str, TerraformResource] = {}
        for record in records:
            for key in ("arn", "id", "bucket", "name", "identifier"):
                value = record.values.get(key)
                if isinstance(value, str) and value:
                    self.by_identity.setdefault(value, record)
        self.records = records
        self._locations: dict[str, Location] = {}
        self._resources: dict[str, Resource] = {}

    # --- resources -----------------------------------------------------------------------------

    def resource(self, record: TerraformResource) -> Resource:
        cached = self._resources.get(record.address)
        if cached is not None:
            return cached
        spec = resource_map().get(record.type, TypeSpec())
        kind = geography.aws_service_kind(record.type) if record.type.startswith("aws_") else "regional"
        resource = Resource(
            id=record.address,
            type=record.type,
            location=self.location(record),
            classification=self.classification(record),
            source=record.source,
            holds_data=spec.holds_data and kind != "global-control-plane",
        )
        self._resources[record.address] = resource
        return resource

    def classification(self, record: TerraformResource) -> Classification:
        tags: dict[str, Any] = {}
        if record.type.startswith("aws_"):
            default_tags = record.provider.default_tags
            if not isinstance(default_tags.get("__unknown__"), Unknown):
                tags.update(default_tags)
        for key in ("tags_all", "tags", "labels"):
            value = record.values.get(key)
            if isinstance(value, dict):
                tags.update(value)
        labels_from = resource_map().get(record.type, TypeSpec()).labels_from
        if labels_from is not None:
            for value in _values_at(record.values, labels_from):
                if isinstance(value, dict):
                    tags.update(value)
        scopes = [s for s in (self._scope_of(record),) if s]
        return self.rules.classify(tags, scopes) if tags or scopes or self.rules.scope_all else NOT_DWP

    def _scope_of(self, record: TerraformResource) -> str | None:
        for key in ("project", "subscription_id", "account_id"):
            value = record.values.get(key)
            if isinstance(value, str):
                return value
        for key in ("project", "subscription_id", "account_id"):
            setting = record.provider.extra.get(key)
            if setting is not None and isinstance(setting.value, str):
                return setting.value
        return None

    def location(self, record: TerraformResource) -> Location:
        cached = self._locations.get(record.address)
        if cached is None:
            self._locations[record.address] = Location("unknown", None, None, None, ("(placing)",))
            cached = self._place(record)
            self._locations[record.address] = cached
        return cached

    def _place(self, record: TerraformResource) -> Location:
        cloud = _CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0], "unknown")
        spec = resource_map().get(record.type, TypeSpec())
        if cloud == "aws":
            kind = geography.aws_service_kind(record.type)
            if kind != "regional":
                return _global_aws(record.type, kind)
            if "region" in record.values and record.values["region"] is not None:
                return _placed("aws", record.values["region"], record.provenance.get("region", ("region",)))
            return _placed("aws", record.provider.region.value, record.provider.region.provenance)
        if cloud == "azure":
            if "location" in record.values:
                return _placed("azure", record.values["location"], record.provenance.get("location", ("location",)))
            if spec.location_from:
                return self._location_of_reference(record, spec.location_from)
            return _unplaced("azure", f"{record.type} has no location of its own")
        if cloud == "gcp":
            for key in ("location", "region", "zone"):
                if record.values.get(key) is not None:
                    return _placed("gcp", record.values[key], record.provenance.get(key, (key,)))
            for setting in (record.provider.region, record.provider.extra.get("zone")):
                if setting is not None and setting.value is not None:
                    return _placed("gcp", setting.value, setting.provenance)
            return _placed("gcp", Unknown("neither the resource nor its provider sets a region"), ())
        return _unplaced(cloud, f"{record.type} is not a cloud resource")

    def _location_of_reference(self, record: TerraformResource, path: str) -> Location:
        value = _first(_values_at(record.values, path))
        other = self.referenced(value)
        if other is None:
            reason = value.reason if isinstance(value, Unknown) else f"{path} does not name a scanned resource"
            return Location(_CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0], "unknown"), None, None, None,
                            (f"{path} ->",), f"location unresolved: {reason}")
        placed = self.location(other)
        return _with_provenance(placed, (f"{path} -> {other.address}", *placed.provenance))

    # --- references ----------------------------------------------------------------------------

    def referenced(self, value: Any) -> TerraformResource | None:
        """The record a value points at: an unknown with ``ref``, an ARN, a name or an Azure id."""
        if isinstance(value, Unknown):
            return self.by_address.get(value.ref) if value.ref else None
        if not isinstance(value, str) or not value:
            return None
        found = self.by_identity.get(value)
        if found is not None:
            return found
        if value.startswith("arn:aws:s3:::"):
            return self.by_identity.get(value.removeprefix("arn:aws:s3:::").split("/")[0])
        tail = value.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        return self.by_identity.get(tail)

    # --- flows ---------------------------------------------------------------------------------

    def flows(self, record: TerraformResource) -> Iterator[Flow]:
        spec = resource_map().get(record.type)
        if spec is None:
            return
        for flow_spec in spec.flows:
            if flow_spec.when is not None and not _condition_holds(record.values, flow_spec.when):
                continue
            values = list(_values_at(record.values, flow_spec.path))
            if not values and flow_spec.default is not None:
                values = [flow_spec.default]
            for value in values:
                if value is None:
                    continue
                target = _TARGETS[flow_spec.target](self, record, value, flow_spec.path)
                if target is None:
                    continue
                for subject in self.subjects(record, flow_spec):
                    if target[1] == subject.address:
                        # A resource "copying" to itself (a replica whose source is not in the scan): its
                        # own location is judged by the hosting policy, not as a flow.
                        continue
                    yield Flow(
                        resource_id=subject.address,
                        kind=flow_spec.kind,
                        target=target[0],
                        description=f"{flow_spec.what} ({record.address})",
                        source=record.source,
                        target_id=target[1],
                    )

    def subjects(self, record: TerraformResource, spec: FlowSpec) -> list[TerraformResource]:
        """Whose data the flow carries: the named subject when it resolves, else the declaring resource."""
        if not spec.subject:
            return [record]
        found: list[TerraformResource | None] = []
        for path in spec.subject:
            special = _SUBJECTS.get(path)
            if special is not None:
                found.extend(special(self, record))
            else:
                found.extend(self.referenced(v) for v in _values_at(record.values, path))
        subjects: dict[str, TerraformResource] = {}
        for subject in found:
            if subject is not None and subject.address != record.address:
                subjects.setdefault(subject.address, subject)
        return list(subjects.values()) or [record]

    def backup_subjects(self, plan: TerraformResource) -> list[TerraformResource]:
        """Resources an AWS Backup plan copies: those its selections name (and the plan itself)."""
        subjects = []
        for record in self.records:
            if record.type != "aws_backup_selection":
                continue
            plan_id = record.values.get("plan_id")
            if self.referenced(plan_id) is not plan:
                continue
            for value in record.values.get("resources") or []:
                target = self.referenced(value)
                if target is not None:
                    subjects.append(target)
        # The plan itself may be tagged DWP; keep it so its own classification counts too.
        return [plan, *subjects] if subjects else []

    def registry_subjects(self, config: TerraformResource) -> list[TerraformResource]:
        """Repositories an ECR registry replication copies: every repository in the same region."""
        here = self.location(config).region
        return [r for r in self.records if r.type == "aws_ecr_repository" and self.location(r).region == here]

    def global_cluster_peers(self, member: TerraformResource) -> list[TerraformResource]:
        """An Aurora global database copies every member's data to every other member."""
        group = self.referenced(_first(_values_at(member.values, "global_cluster_identifier")))
        if group is None:
            return []
        peers = [group]
        source = self.referenced(group.values.get("source_db_cluster_identifier"))
        if source is not None:
            peers.append(source)
        for record in self.records:
            joined = self.referenced(record.values.get("global_cluster_identifier"))
            if record.type == "aws_rds_cluster" and record is not member and joined is group:
                peers.append(record)
        return peers


_SUBJECTS: dict[str, Callable[[_Context, TerraformResource], list[TerraformResource]]] = {
    "backup_selection": _Context.backup_subjects,
    "ecr_registry": _Context.registry_subjects,
    "global_cluster_peers": _Context.global_cluster_peers,
}


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# --- placing values ------------------------------------------------------------------------------

_Target = tuple[Location, str | None]


def _target_aws_region(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    return _placed("aws", value, (_setting(record, path, value),)), None


def _target_aws_arn(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    other = context.referenced(value)
    if other is not None:
        return context.location(other), other.address
    if isinstance(value, str):
        region = geography.aws_region_of_arn(value)
        if region:
            return _placed("aws", region, (f"ARN {value}",)), None
        return _unplaced("aws", f"{value!r} carries no region and is not a scanned resource"), None
    return _unresolved_value("aws", value), None


def _target_s3_bucket(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    bucket = context.referenced(value)
    if bucket is not None and bucket.type == "aws_s3_bucket":
        placed = context.location(bucket)
        return _with_provenance(placed, (f"destination {bucket.address}", *placed.provenance)), bucket.address
    if isinstance(value, str):
        return _unplaced(
            "aws",
            f"destination bucket {value} is not in the scanned configuration, and S3 ARNs carry no region "
            "(scan the configuration that creates it, or the live account)",
        ), None
    return _unresolved_value("aws", value), None


def _target_azure_location(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    return _placed("azure", value, (_setting(record, path, value),)), None


def _target_azure_resource(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    other = context.referenced(value)
    if other is not None:
        placed = context.location(other)
        return _with_provenance(placed, (f"{other.address}", *placed.provenance)), other.address
    return _unresolved_value("azure", value, "the referenced resource is not in the scanned configuration"), None


_GEO_REDUNDANT = re.compile(r"^(RA)?G(Z)?RS$|^GeoRedundant$", re.IGNORECASE)


def _target_azure_pair(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target | None:
    if isinstance(value, Unknown):
        return _unresolved_value("azure", value), None
    if not isinstance(value, str) or not _GEO_REDUNDANT.match(value):
        return None
    own = context.location(record)
    if own.region is None:
        return Location("azure", None, None, None, (f"{value} copy to the paired region",),
                        "the paired region is unknown because the primary location is unresolved"), None
    pair = geography.azure_paired_region(own.region)
    if pair is None:
        return Location("azure", None, None, None, (f"{value} in {own.region}",),
                        f"{own.region} has no paired region in the catalogue; where {value} copies is unknown"), None
    return _placed("azure", pair, (f"{value}: paired region of {own.region}",)), None


def _target_gcp_location(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    return _placed("gcp", value, (_setting(record, path, value),)), None


def _target_self(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    return context.location(record), record.address


def _target_global_edge(context: _Context, record: TerraformResource, value: Any, path: str) -> _Target:
    return _global_aws(record.type, "global-edge"), record.address


_TARGETS: dict[str, Callable[[_Context, TerraformResource, Any, str], _Target | None]] = {
    "aws_region": _target_aws_region,
    "aws_arn": _target_aws_arn,
    "s3_bucket": _target_s3_bucket,
    "azure_location": _target_azure_location,
    "azure_resource": _target_azure_resource,
    "azure_pair": _target_azure_pair,
    "gcp_location": _target_gcp_location,
    "self": _target_self,
    "global_edge": _target_global_edge,
}


# --- helpers -------------------------------------------------------------------------------------


def _placed(cloud: str, value: Any, provenance: Sequence[str]) -> Location:
    """A location from a region value, which may be unknown."""
    if isinstance(value, Unknown):
        return Location(cloud, None, None, None, tuple(provenance), f"location unresolved: {value.reason}")
    if not isinstance(value, str) or not value:
        return Location(cloud, None, None, None, tuple(provenance), "location unresolved: no region is set")
    place = geography.place_region(cloud, value)
    if place.country is None and place.known and not place.uk and place.region != "global":
        # A known place the catalogue cannot put in one country (ASIA, an unconfirmed partition).
        return Location(cloud, place.region, None, False, tuple(provenance), place.note)
    return Location(cloud, place.region, place.country, place.uk, tuple(provenance), place.note)


def _unplaced(cloud: str, reason: str) -> Location:
    return Location(cloud, None, None, None, (), f"location unresolved: {reason}")


def _unresolved_value(cloud: str, value: Any, fallback: str = "the value cannot be resolved") -> Location:
    reason = value.reason if isinstance(value, Unknown) else fallback
    return Location(cloud, None, None, None, (), f"location unresolved: {reason}")


def _global_aws(resource_type: str, kind: str) -> Location:
    note = (
        "global service: served from AWS edge locations worldwide, not from the UK"
        if kind == "global-edge"
        else "global service: configuration held in us-east-1, no DWP information"
    )
    return Location("aws", "global", None, False, (f"{resource_type} is a global AWS service",), note)


def _with_provenance(location: Location, provenance: tuple[str, ...]) -> Location:
    return Location(location.cloud, location.region, location.country, location.uk, provenance, location.note)


def _setting(record: TerraformResource, path: str, value: Any) -> str:
    shown = f"unknown ({value.reason})" if isinstance(value, Unknown) else repr(value)
    where = f" ({record.source.path}:{record.source.line})" if record.source.line else ""
    return f"{record.address} {path} = {shown}{where}"


def _values_at(values: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path, walking through lists (blocks) on the way."""
    head, _, rest = path.partition(".")
    if isinstance(values, list):
        for item in values:
            yield from _values_at(item, path)
        return
    if isinstance(values, Unknown):
        yield values
        return
    if not isinstance(values, Mapping) or head not in values:
        return
    value = values[head]
    if not rest:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    yield from _values_at(value, rest)


def _first(values: Iterator[Any]) -> Any:
    return next(values, None)


def _condition_holds(values: Mapping[str, Any], when: Mapping[str, Any]) -> bool:
    found = _first(_values_at(values, when["path"]))
    if "in" in when:
        return isinstance(found, str) and found in when["in"]
    return found is not None
