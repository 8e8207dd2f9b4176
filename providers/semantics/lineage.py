"""The net under the resource map: what a resource connected to DWP data names is judged, whatever its type.

The resource map models relations precisely (this setting copies that bucket's data to that region). What it
does not list would otherwise be silence. The net closes that gap generically: a resource is *connected* to a
DWP resource when it references it (an expression reference, a string that is its id, ARN, name or self-link,
``parent_id``); the DWP resource is connected to itself. A connected resource that is placed outside the UK,
or that names a place outside the UK or one that cannot be established (a region, location or zone value, an
ARN whose region is abroad, a reference to a resource placed abroad, a URL the endpoint catalogue places
abroad or cannot place), and whose relation no map entry or modelled flow explains, becomes a ``connected``
flow whose target is *not established* (``uk=None``): an ``unknown`` on the DWP resource, declared by the
connected resource, naming its type and argument, and saying what settles it (a resource map entry, or a
waiver). A connected resource that names only UK places passes; a resource connected to nothing DWP is never
judged here.

Consulted after the map (``normalise.to_inventory``), so every input that becomes records (HCL, plans, state,
``azapi_resource``, live AWS and Azure answers) gets it.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from providers.semantics import endpoints, geography
from providers.semantics.compute_environments import compute_environment
from providers.semantics.context import CLOUD_OF_PREFIX, NormaliseContext, json_document, placed, setting
from providers.semantics.encryption import encryption_table
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.resource_map import identity_attributes, resource_map
from scanner.model import Flow, FlowKind, Location, SourceRef
from scanner.yaml_data import load_yaml


@dataclass(frozen=True)
class _Rules:
    """``resource_map/lineage.yaml``: what the net reads as a place, a name, an endpoint."""

    place_key: re.Pattern[str]
    place_word: re.Pattern[str]
    naming_key: re.Pattern[str]
    host_key: re.Pattern[str]
    host_word: re.Pattern[str]
    not_destinations: re.Pattern[str]
    inert_types: tuple[str, ...]
    not_subjects: tuple[str, ...]
    key_stores: tuple[str, ...]
    descriptive: frozenset[str]
    own_placement: frozenset[str]
    containers: frozenset[str]
    arn_services_without_data: frozenset[str]
    not_places: re.Pattern[str]
    bucket_urls: tuple[str, ...]
    placed_by: Mapping[str, Mapping[str, Mapping[str, str]]]


@functools.cache
def _rules() -> _Rules:
    raw = load_yaml(RULES_FILE.read_text(encoding="utf-8"))["lineage"]
    return _Rules(
        place_key=re.compile(raw["place_key"]),
        place_word=re.compile(raw["place_word"]),
        naming_key=re.compile(raw["naming_key"]),
        host_key=re.compile(raw["host_key"]),
        host_word=re.compile(raw["host_word"]),
        not_destinations=re.compile(raw["not_destinations"]),
        inert_types=tuple(raw["inert_types"]),
        not_subjects=tuple(raw["not_subjects"]),
        key_stores=tuple(raw.get("key_stores") or ()),
        descriptive=frozenset(raw["descriptive"]),
        own_placement=frozenset(raw["own_placement"]),
        containers=frozenset(raw["containers"]),
        arn_services_without_data=frozenset(raw["arn_services_without_data"]),
        not_places=re.compile(raw["not_places"]),
        bucket_urls=tuple(str(p).lower() for p in raw["bucket_urls"]),
        placed_by=raw.get("placed_by") or {},
    )


RULES_FILE = Path(__file__).with_name("resource_map") / "lineage.yaml"
_MAX_DOCUMENT = 1_000_000
"""A JSON document held as text is read up to this size; a larger one is a plain value."""
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=8192)
def argument_key(path: str) -> str:
    """The last segment of an argument path, in snake case, as the patterns of ``lineage.yaml`` match it."""
    return _CAMEL.sub("_", path.rsplit(".", 1)[-1]).lower()
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(:\d+)?(/.*)?$", re.IGNORECASE)
_AZAPI_PREFIX = "azapi_"

WHAT_SETTLES = ("model the relation (a resource map entry for the type and argument) or, once DWP has approved "
                "it, waive it")


@dataclass(frozen=True)
class _Named:
    """One place a connected resource names."""

    path: str
    """The argument, dotted (``rule.destination.bucket``), or ``(placement)`` for the resource's own place."""
    location: Location
    """Where the argument puts it."""
    target_id: str | None = None
    """The resource the argument names, when the scan holds it."""
    value: Any = None


def connected_flows(
    context: NormaliseContext,
    managed: Sequence[ResourceRecord],
    modelled: Sequence[Flow],
) -> Iterator[Flow]:
    """The net's flows: one per (DWP resource, connected resource, place named) that nothing else explains."""
    dwp = {r.address: r for r in managed if _is_dwp_holder(context, r)}
    if not dwp:
        return
    declared: dict[str, list[Flow]] = {}
    of_subject: dict[str, list[Flow]] = {}
    for flow in modelled:
        declared.setdefault(flow.source.address, []).append(flow)
        of_subject.setdefault(flow.resource_id, []).append(flow)
    index = _Index(context)
    emitted: set[tuple[str, str, str, str | None]] = set()
    for record in managed:
        if _matches(record.type, _rules().inert_types):
            continue  # a lock or an IAM binding moves no data, wherever what it names is
        links = _links_to(index, record, dwp)
        if record.address in dwp:
            links.setdefault(record.address, set())  # a DWP resource is connected to itself
        if not links:
            continue
        named = list(_places_named(index, record, dwp, follow_conduits=record.address not in declared))
        for subject_address, through in sorted(links.items()):
            subject = dwp[subject_address]
            if subject_address != record.address and any(
                    flow.target_id == subject_address for flow in declared.get(record.address, ())):
                continue  # the record copies onto the subject (a replica, a DR bucket): a modelled relation
            for found in named:
                if found.target_id == subject_address:
                    continue  # naming the subject is the connection, not a place
                if not _worth_saying(context, subject, record, found):
                    continue
                if _explained(record, found, declared.get(record.address, ()), of_subject.get(subject_address, ())):
                    continue
                key = (subject_address, record.address, found.location.cloud, found.location.region or found.path)
                if key in emitted:
                    continue
                emitted.add(key)
                yield _flow(context, subject, record, found, through)


class _Index:
    """What each record references (by argument), computed once per input."""

    def __init__(self, context: NormaliseContext) -> None:
        self.context = context
        self._edges: dict[str, list[tuple[str, ResourceRecord]]] = {}

    def edges(self, record: ResourceRecord) -> list[tuple[str, ResourceRecord]]:
        """(argument, record it names) for every other managed resource ``record`` references: by value, by an
        expression reference the evaluator traced (``provenance``), or as its parent."""
        cached = self._edges.get(record.address)
        if cached is not None:
            return cached
        found: dict[tuple[str, str], ResourceRecord] = {}
        own = set(identity_attributes(record.type))
        for path, value in leaves(record.values):
            if path in own:
                continue  # a record's own name or ARN names itself, even when another resource shares the name
            other = _named_resource(self.context, path, value)
            if other is not None:
                found.setdefault((path, other.address), other)
        for path, other in _provenance_references(self.context, record):
            found.setdefault((path, other.address), other)
        parent = self.context.parent(record) if record.type.startswith(("azurerm_", "google_", _AZAPI_PREFIX)) \
            else None
        if parent is not None:
            found.setdefault((parent[0], parent[1].address), parent[1])
        edges = [(path, other) for (path, _), other in found.items()
                 if other is not record and other.mode == "managed" and other.type not in _rules().containers]
        self._edges[record.address] = edges
        return edges


def _provenance_references(context: NormaliseContext, record: ResourceRecord) -> Iterator[tuple[str, ResourceRecord]]:
    """Resources an argument's value was read from (``google_storage_bucket.claims.name``), as the evaluator
    traced it: a reference connects whatever attribute it reads, even one whose value is a plain name."""
    for path, steps in record.provenance.items():
        for step in steps:
            head = step.split(" ", 1)[0]
            if "." not in head or head.startswith(("var.", "local.", "path.", "each.", "count.")):
                continue
            parts = head.split(".")
            for end in range(len(parts) - 1, 1, -1):
                candidate = ".".join(parts[:end])
                for address in (f"{record.module_path}.{candidate}" if record.module_path else None, candidate):
                    other = context.by_address.get(address) if address else None
                    if other is not None:
                        yield path, other
                        break
                else:
                    continue
                break


def _matches(resource_type: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(resource_type, pattern) for pattern in patterns)


def _is_dwp_holder(context: NormaliseContext, record: ResourceRecord) -> bool:
    if record.type.split("_", 1)[0] not in CLOUD_OF_PREFIX or _matches(record.type, _rules().not_subjects):
        return False
    resource = context.resource(record)
    return resource.classification.dwp and resource.holds_data


# --- connections -------------------------------------------------------------------------------------------


def _links_to(index: _Index, record: ResourceRecord, dwp: Mapping[str, ResourceRecord]) -> dict[str, set[str]]:
    """The DWP resources ``record`` references, each with the arguments that reference it: directly, or through
    one resource that is not DWP itself (a DMS task's source endpoint names the DWP database)."""
    links: dict[str, set[str]] = {}
    for path, other in index.edges(record):
        if other.address in dwp:
            links.setdefault(other.address, set()).add(path)
        else:
            for hop, beyond in index.edges(other):
                if beyond.address in dwp and beyond is not record:
                    links.setdefault(beyond.address, set()).add(f"{path} -> {other.address} {hop}")
    return links


def _named_resource(context: NormaliseContext, path: str, value: Any) -> ResourceRecord | None:
    """The record an argument's value points at: a reference always; a string by its shape (ARN, resource
    id, self-link, object-storage URL) or, under an argument that names resources, by name."""
    if isinstance(value, Unknown):
        return context.referenced(value) if value.ref else None
    if not isinstance(value, str) or not value or len(value) > 2048:
        return None
    bucket = _bucket_of_url(value)
    if bucket is not None:
        return context.by_identity.get(bucket)
    if value.startswith(("arn:", "/subscriptions/", "projects/", "//", "https://www.googleapis.com/")):
        return context.referenced(value)
    if "." in value and ("://" in value or value == value.lower()) and _host(value) is not None:
        # A host or URL names a resource only by its host (never by the last part of its path).
        hosted = context.hosted(value)
        if hosted is not None:
            return hosted
        if "://" in value:
            return None
    if _rules().naming_key.search(argument_key(path)) and " " not in value and not value.startswith("/"):
        # A plain name, or a qualified one (project:dataset, project.dataset): its last part names the resource.
        return context.by_identity.get(value) or context.by_identity.get(re.split(r"[:.]", value)[-1])
    return None


def _host(value: str) -> str | None:
    text = value.split("://", 1)[1] if "://" in value else value
    host = re.split(r"[/:?#]", text, maxsplit=1)[0].lower()
    return host if "." in host and _HOSTNAME.match(host) else None


def _bucket_of_url(value: str) -> str | None:
    """The bucket an object-storage URL names (``s3://b/k``, ``gs://b/k``, ``https://storage.googleapis.com/b/k``),
    or None. Such a URL places nothing by its host: the bucket is looked up among the scanned resources."""
    lowered = value.lower()
    for prefix in _rules().bucket_urls:
        if lowered.startswith(prefix):
            return value[len(prefix):].split("/", 1)[0] or None
    return None


def leaves(values: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar (or unknown) inside a record's values with its dotted path; lists are walked, descriptive
    subtrees (tags, labels, free text) skipped."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            if not isinstance(key, str) or key in _rules().descriptive:
                continue
            yield from leaves(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(values, list | tuple):
        for item in values:
            yield from leaves(item, prefix)
    elif isinstance(values, str) and values[:1] in ("{", "[") and len(values) <= _MAX_DOCUMENT:
        # A JSON document held as text (a redrive policy, a state machine definition): its values are arguments.
        document = json_document(values)
        if isinstance(document, dict | list):
            yield from leaves(document, prefix)
        elif prefix:
            yield prefix, values
    elif prefix:
        yield prefix, values


# --- places named ------------------------------------------------------------------------------------------


def _places_named(index: _Index, record: ResourceRecord, dwp: Mapping[str, ResourceRecord],
                  follow_conduits: bool = True) -> Iterator[_Named]:
    """Every place ``record`` names: its own placement, its arguments, and the arguments of the resources it
    references that are not DWP themselves (a DMS task's target endpoint names the host abroad)."""
    context = index.context
    own = _own_location(context, record)
    if own is not None and record.address not in dwp:
        yield _Named("(placement)", own, record.address)
    yield from _values_named(context, record)
    if follow_conduits is False:
        return  # a concern models this record's relations, and follows its destinations itself
    followed = modelled_paths(record.type)
    reads_keys = _reads_keys(record)
    for path, other in index.edges(record):
        if other.address in dwp or any(covers(m, path) for m in followed):
            continue  # a relation the map models is followed there (a log subscription's destination)
        if reads_keys and _matches(other.type, _rules().key_stores):
            continue  # a key it names, and the vault that key is in: custody (its key object), not a data path
        beyond = modelled_paths(other.type)
        for found in _values_named(context, other):
            if found.target_id != record.address and not any(covers(m, found.path) for m in beyond):
                yield _Named(f"{path} -> {other.address} {found.path}", found.location, found.target_id, found.value)


def _reads_keys(record: ResourceRecord) -> bool:
    """Whether what ``record`` says of keys is read as key custody: its type's key is in encryption.yaml, or it is
    a key or key store itself (a key naming its vault)."""
    return record.type in encryption_table().types or _matches(record.type, _rules().key_stores)


def _values_named(context: NormaliseContext, record: ResourceRecord) -> Iterator[_Named]:
    cloud = _cloud_of(record)
    own = set(identity_attributes(record.type))
    values = record.values
    for block, rule in _rules().placed_by.get(record.type, {}).items():
        values = _without_answered_places(context, values, block.split("."), rule["place"], rule["by"])
    for path, value in leaves(values):
        if "." not in path and (path in _rules().own_placement or path in own):
            continue
        if any(_rules().not_destinations.search(argument_key(step)) for step in path.split(".")):
            continue
        found = _place_of_value(context, record, cloud, path, value)
        if found is not None:
            yield found


def _without_answered_places(context: NormaliseContext, values: Any, block: list[str], place: str, by: str) -> Any:
    """``values`` without the ``place`` of each block at ``block`` whose ``by`` names a resource the scan located
    (``placed_by`` in lineage.yaml): that resource's own location is its place, not what another answer says."""
    if isinstance(values, list):
        return [_without_answered_places(context, item, block, place, by) for item in values]
    if not isinstance(values, Mapping):
        return values
    if not block:
        named = context.referenced(values.get(by))
        if named is None or place not in values or context.location(named).uk is None:
            return values
        return {key: value for key, value in values.items() if key != place}
    head, rest = block[0], block[1:]
    if head not in values:
        return values
    return {**values, head: _without_answered_places(context, values[head], rest, place, by)}


def _own_location(context: NormaliseContext, record: ResourceRecord) -> Location | None:
    if record.type.startswith(_AZAPI_PREFIX):
        location = record.values.get("location")
        if location is None or (isinstance(location, str) and location.lower() == "global"):
            return None  # a global resource (a DNS zone link, Front Door) has no region of its own
        return placed("azure", location, (setting(record, "location", location),))
    if record.type.split("_", 1)[0] not in CLOUD_OF_PREFIX:
        return None
    location = context.location(record)
    if location.region == "global":
        return None
    if location.uk is None and not any(isinstance(record.values.get(k), Unknown) for k in ("region", "location",
                                                                                          "zone")):
        # A type with no place of its own that nothing places (a role assignment, a setting) names no place;
        # an unknown value of its own region or location does.
        return None
    return location


def _place_of_value(
    context: NormaliseContext, record: ResourceRecord, cloud: str, path: str, value: Any,
) -> _Named | None:
    key = argument_key(path)
    other = _named_resource(context, path, value)
    if other is not None and other is not record and other.mode == "managed":
        if other.type in _rules().containers:
            return None  # a resource group's or project's location is only metadata: no data is placed there
        if _matches(other.type, _rules().key_stores) and _reads_keys(record):
            # A key or key vault named by a type whose key encryption.yaml reads: custody (the resource's key
            # object, the pack's key custody), not a place the data goes. A type it does not read keeps the path,
            # so an unread key reference is never silence.
            return None
        location = _own_location(context, other)
        return _Named(path, location, other.address, value) if location is not None else None
    if isinstance(value, Unknown):
        if _rules().place_key.search(key) and not value.ref:
            return _Named(path, placed(cloud, value, (setting(record, path, value),)), None, value)
        return None
    if not isinstance(value, str) or not value or len(value) > 2048:
        return None
    bucket = _bucket_of_url(value) or (value[len("arn:aws:s3:::"):].split("/", 1)[0]
                                       if value.startswith("arn:aws:s3:::") else None)
    if bucket:
        # A bucket the scan does not hold (one it holds was named above): its URL or ARN carries no region.
        note = (f"bucket {bucket!r} is not in the scanned configuration, and its name carries no region (scan the "
                "configuration that creates it)")
        return _Named(path, Location(cloud if cloud != "unknown" else "aws", None, None, None,
                                     (setting(record, path, value),), note), None, value)
    if value.startswith("arn:"):
        region = geography.aws_region_of_arn(value)
        service = value.split(":", 3)[2] if value.count(":") >= 3 else ""
        if region and service not in _rules().arn_services_without_data:
            return _Named(path, placed("aws", region, (setting(record, path, value),)), None, value)
        return None
    if _URL.match(value) and _bucket_of_url(value) is None and not value.lower().startswith("file://"):
        return _endpoint(context, record, path, value)
    if _rules().host_key.search(key) and _HOSTNAME.match(value) and value == value.lower():
        return _endpoint(context, record, path, value)
    if _rules().place_word.search(key) and "/" not in value and cloud != "unknown" \
            and not _rules().not_places.match(value):
        where = placed(cloud, value, (setting(record, path, value),))
        if geography.place_region(cloud, value).known:
            return _Named(path, where, None, value)
        if _rules().place_key.search(key):
            note = f"{value!r} is not a {cloud} region offshore-scan knows"
            return _Named(path, Location(cloud, value, None, None, where.provenance, note), None, value)
    return None


def _endpoint(context: NormaliseContext, record: ResourceRecord, path: str, value: str) -> _Named:
    where = endpoints.place_endpoint(value, context.endpoints)
    location = Location("external", where.host, where.country, where.uk, (setting(record, path, value),),
                        where.note)
    return _Named(path, location, None, value)


def _cloud_of(record: ResourceRecord) -> str:
    if record.type.startswith(_AZAPI_PREFIX):
        return "azure"
    return CLOUD_OF_PREFIX.get(record.type.split("_", 1)[0], "unknown")


# --- judging -----------------------------------------------------------------------------------------------


def _worth_saying(context: NormaliseContext, subject: ResourceRecord, record: ResourceRecord, found: _Named) -> bool:
    """Abroad is always said; a place that cannot be established only where the subject's own place is
    established in the UK (an unplaced subject is already an unknown of its own, for the same reason)."""
    here = context.location(subject)
    if (here.cloud, here.region) == (found.location.cloud, found.location.region) and here.region is not None:
        return False  # where the subject itself is (often because it takes the subject's place): judged as hosting
    if found.location.uk is False:
        return True
    if found.location.uk is None:
        return context.location(subject).uk is True or found.location.cloud == "external"
    return False


def _explained(record: ResourceRecord, found: _Named, declared: Iterable[Flow], judged: Iterable[Flow]) -> bool:
    """Whether the map or a modelled concern already judged this: the argument is a map flow path of the type;
    the record declares a flow that read the argument (its provenance names it), or that goes to the same
    resource or place; or a modelled flow of the subject already goes to that resource or place."""
    if found.path != "(placement)" and any(covers(path, found.path) for path in modelled_paths(record.type)):
        return True
    said = f"{record.address} {found.path} = "
    for flow in declared:
        if any(step.startswith(said) or f" {said}" in step for step in flow.target.provenance):
            return True
        if _same_destination(flow, found):
            return True
    return any(_same_destination(flow, found) for flow in judged)


def _same_destination(flow: Flow, found: _Named) -> bool:
    if found.target_id is not None and flow.target_id == found.target_id:
        return True
    same_place = (flow.target.cloud, flow.target.region) == (found.location.cloud, found.location.region)
    return same_place and (found.location.region is not None or flow.target.uk is None)


@functools.lru_cache(maxsize=4096)
def modelled_paths(resource_type: str) -> tuple[str, ...]:
    """The arguments of a type something above the net already judges: the map's flow paths, its
    ``judged_elsewhere``, and where the type keeps the environment the telemetry concern reads."""
    spec = resource_map().get(resource_type)
    paths: list[str] = [*(f.path for f in spec.flows), *spec.judged_elsewhere] if spec is not None else []
    environment = compute_environment(resource_type)
    for read in environment.reads if environment is not None else ():
        paths.append((read.document or read.path).split(".", 1)[0] if (read.document or read.path) else "")
        paths.extend(read.attributes)
    return tuple(p for p in paths if p)


def reads(key: str) -> bool:
    """Whether the net reads an argument of this (snake-case) name for a plain name, region or host; values of a
    resource's shape (references, ARNs, resource ids, self-links, URLs) it reads under any name."""
    rules = _rules()
    return any(pattern.search(key) for pattern in (rules.place_word, rules.naming_key, rules.host_word))


def covers(mapped: str, path: str) -> bool:
    """Whether a map path and an argument path are the same argument, or one is inside the other."""
    return path == mapped or path.startswith(f"{mapped}.") or mapped.startswith(f"{path}.")


def _flow(
    context: NormaliseContext, subject: ResourceRecord, record: ResourceRecord, found: _Named, through: set[str],
) -> Flow:
    where = found.location
    connected = "" if record.address == subject.address else f", connected by {', '.join(sorted(through))},"
    if found.path == "(placement)":
        what = f"{record.address} ({record.type}){connected} is placed in"
    else:
        named = f" {found.target_id}, in" if found.target_id and found.target_id != record.address else ""
        what = f"{record.address} ({record.type}){connected} {found.path} names{named}"
    state = "outside the UK" if where.uk is False else "a place that cannot be established"
    detail = f" ({where.note})" if where.note else ""
    note = (f"{what} {where.describe()}, {state}{detail}; offshore-scan does not model what this relation does "
            f"with {subject.address}'s data: {WHAT_SETTLES}")
    # The place is stated as it is (abroad, or not established); the relation's meaning is what is unknown, so
    # the policies judge a connected flow as an unknown either way (OFS-CONN-001 abroad, OFS-UNK-001 unplaced).
    target = Location(where.cloud, where.region, where.country, where.uk, where.provenance, note)
    line = record.lines.get(found.path.split(".", 1)[0], record.source.line) if found.path != "(placement)" \
        else record.source.line
    source = SourceRef(record.source.path, line, record.source.address)
    return Flow(subject.address, FlowKind.CONNECTED, target, f"{record.type} {found.path}", source, found.target_id)
