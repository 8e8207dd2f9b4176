"""Normalise: ``ResourceRecord`` records (from HCL or a plan) -> the scanner's ``Inventory``.

Pure: records and rules in, inventory out. What a type means is the resource map
(``resource_map.py``); how a value is placed is a target resolver (``targets.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from providers.interface import ScanOptions
from providers.semantics import access, diagnostics, encryption, guardrails, lineage, network, replicas
from providers.semantics.context import CLOUD_OF_PREFIX, NormaliseContext, condition_holds, flows_of_subjects, values_at
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.resource_map import FlowSpec, resource_map, understood_without_hosting
from providers.semantics.targets import TARGETS, TargetResolver
from scanner.model import CoverageGap, Flow, Inventory, Location

_T = TypeVar("_T")

RESOLVERS: dict[str, TargetResolver] = {**TARGETS, **diagnostics.TARGETS, **network.TARGETS,
                                        "aws_replica_region": replicas.target_aws_replica_region}
"""Every target name the resource map may use."""


def to_inventory(
    records: Sequence[ResourceRecord],
    options: ScanOptions,
    gaps: Sequence[CoverageGap] = (),
    scanned: Sequence[str] = (),
) -> Inventory:
    """The inventory of a Terraform input."""
    context = NormaliseContext(records, options)
    managed = [r for r in records if r.mode == "managed"]
    problems: list[CoverageGap] = []
    # The resource map's flows first: the replicas they land on are DWP as copies of their subjects, which must
    # be known before any resource is classified.
    mapped = {record.address: _guarded(flows_of, context, record, problems) for record in managed}
    context.copied_into = replicas.landing_copies(flow for found in mapped.values() for flow in found)
    resources = tuple(context.resource(r) for r in managed if r.type.split("_", 1)[0] in CLOUD_OF_PREFIX)
    flows = [
        flow
        for record in managed
        for found in (mapped[record.address], *(_guarded(source, context, record, problems)
                                                for source in (diagnostics.extra_flows, network.extra_flows)))
        for flow in found
    ]
    # Who can reach a stand-in is said on the DWP resources it concerns (the resources of an unlisted share), never
    # on the stand-in itself.
    stood_in = {record.address for record in records if record.stand_in}
    grants = [grant for record in records for grant in _guarded(access.grants, context, record, problems)
              if grant.resource_id not in stood_in]
    # The net beneath the map: what a resource connected to DWP data names, that nothing above explains.
    flows.extend(lineage.connected_flows(context, managed, flows))
    guards = [guard for record in records for guard in _guarded(guardrails.guardrails, context, record, problems)]
    # Stand-ins for subjects the flows and grants named but the scan does not hold (judged as possibly DWP).
    stand_ins = tuple(context.resource_by_address(a) for a in context.unidentified_addresses)
    # Encryption at rest and where each key lives (resource_map/encryption.yaml).
    resources = encryption.with_encryption(context, managed, resources)
    return Inventory(
        resources=resources + stand_ins,
        flows=tuple(flows),
        grants=tuple(grants),
        guardrails=tuple(guards),
        coverage=tuple(gaps) + tuple(problems) + tuple(_not_understood(context, managed)),
        scanned=tuple(scanned),
    )


def _type_named(record: ResourceRecord) -> str:
    arm_type = record.values.get("type") if record.type.startswith("azapi_") else None
    return f"{record.type} {arm_type.split('@', 1)[0]}" if isinstance(arm_type, str) else record.type


def _not_understood(context: NormaliseContext, managed: Sequence[ResourceRecord]) -> Iterator[CoverageGap]:
    """One gap per provider whose resources offshore-scan does not understand; never silence.

    A note when none of them is DWP; when some are (by their tags, or the config's scope), the scan is
    incomplete: where those resources keep DWP data is not judged.
    """
    by_provider: dict[str, list[ResourceRecord]] = {}
    for record in managed:
        provider = record.type.split("_", 1)[0]
        if provider not in CLOUD_OF_PREFIX and not understood_without_hosting(provider):
            by_provider.setdefault(provider, []).append(record)
    for provider, found in sorted(by_provider.items()):
        types = Counter(_type_named(r) for r in found)
        listed = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in sorted(types.items()))
        dwp = [r for r in found if context.classification(r).dwp]
        first = found[0]
        if dwp:
            yield CoverageGap(
                first.source.path, first.source.line,
                f"{len(dwp)} DWP resource(s) of provider {provider} ({', '.join(r.address for r in dwp[:3])}"
                f"{', ...' if len(dwp) > 3 else ''}) are of types offshore-scan does not understand ({listed}): "
                "where they keep DWP data is not judged",
                kind="skipped",
            )
        else:
            children = [r for r in found if _child_of_dwp(context, r)]
            judged = (f"; {len(children)} of them belong to DWP resources ({', '.join(r.address for r in children[:3])}"
                      f"{', ...' if len(children) > 3 else ''}), and the places they name were judged by the net"
                      if children else "")
            yield CoverageGap(
                first.source.path, first.source.line,
                f"{len(found)} resource(s) of provider {provider} are of types offshore-scan does not understand "
                f"({listed}); none is tagged as DWP, so none was judged for hosting{judged}",
                kind="note",
            )


def _child_of_dwp(context: NormaliseContext, record: ResourceRecord) -> bool:
    """An untagged resource whose parent (``parent_id``, or the resource it is an extension of) is DWP."""
    parent = context.referenced(record.values.get("parent_id"))
    return parent is not None and parent is not record and context.classification(parent).dwp


def qualified(inventory: Inventory, root: str) -> Inventory:
    """The inventory of one root module among several, its ids prefixed ``root:`` (``envs/prod:aws_s3_bucket.b``)."""

    def name(address: str | None) -> str | None:
        return f"{root}:{address}" if address is not None else None

    return replace(
        inventory,
        resources=tuple(replace(r, id=name(r.id), source=replace(r.source, address=name(r.source.address)))
                        for r in inventory.resources),
        flows=tuple(replace(f, resource_id=name(f.resource_id), target_id=name(f.target_id),
                            source=replace(f.source, address=name(f.source.address)))
                    for f in inventory.flows),
        grants=tuple(replace(g, resource_id=name(g.resource_id),
                             source=replace(g.source, address=name(g.source.address)))
                     for g in inventory.grants),
    )


def _only_if(target: Location, when: Mapping[str, Any], undecided: Unknown) -> Location:
    """A flow that exists only if a setting is not known: outside the UK it is not established either way."""
    if target.uk is not False:
        return target
    note = f"copies to {target.describe()} only if {when['path']} is one of {when.get('in')}: {undecided.reason}"
    return replace(target, uk=None, note=note)


def _guarded(
    source: Callable[[NormaliseContext, ResourceRecord], Iterable[_T]],
    context: NormaliseContext,
    record: ResourceRecord,
    problems: list[CoverageGap],
) -> list[_T]:
    """What one record yields, or a coverage gap for that record alone if reading it fails.

    A value shaped in a way no check expected (an unknown where a list was assumed) must cost one
    record's flows, said plainly, never the whole input's findings.
    """
    try:
        return list(source(context, record))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
        problems.append(CoverageGap(
            record.source.path, record.source.line,
            f"{record.address}: could not be fully read ({type(error).__name__}: {error}); "
            "its flows, grants or guardrails may be missing",
        ))
        return []


def flows_of(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """The flows one record declares, per the resource map."""
    spec = resource_map().get(record.type)
    if spec is None:
        return
    for flow_spec in spec.flows:
        for scope, rest in _scopes(record.values, flow_spec):
            yield from _flows_in(context, record, flow_spec, scope, rest)


def _scopes(values: Mapping[str, Any], flow_spec: FlowSpec) -> Iterator[tuple[Any, str]]:
    """Where a flow's ``when`` and the rest of its ``path`` are read: the record, or each block of ``each``
    (a rule's own status decides for its own destinations; an unknown block stays unknown)."""
    if flow_spec.each is None:
        yield values, flow_spec.path
        return
    rest = flow_spec.path.removeprefix(f"{flow_spec.each}.")
    for block in values_at(values, flow_spec.each):
        if isinstance(block, Mapping | Unknown):
            yield block, rest


def _flows_in(context: NormaliseContext, record: ResourceRecord, flow_spec: FlowSpec, scope: Any,
              rest: str) -> Iterator[Flow]:
    """The flows of one flow spec read in one scope (the record, or one block of ``each``)."""
    holds = condition_holds(scope, flow_spec.when) if flow_spec.when is not None else True
    if holds is False:
        return
    values = list(values_at(scope, rest))
    if not values and flow_spec.default is not None:
        values = [flow_spec.default]
    for value in values:
        if value is None:
            continue
        target = RESOLVERS[flow_spec.target](context, record, value, flow_spec.path)
        if target is None:
            continue
        if isinstance(holds, Unknown):
            target = (_only_if(target[0], flow_spec.when or {}, holds), target[1])
        # A copy to the region the subject is already in (a Cosmos DB geo-location equal to its own) is a
        # flow all the same: the inventory and "where DWP data goes" list it (a UK path, for a UK subject);
        # the checks leave it out of the findings, since the hosting policy judges that place already.
        subjects = context.subjects(record, flow_spec)
        # A replica the scan holds is named by its own ARN (the declaring resource is the flow's source).
        named = target[1] if flow_spec.target in replicas.NAMES_THE_REPLICA and target[1] else record.address
        yield from flows_of_subjects(record, subjects, flow_spec.kind, f"{flow_spec.what} ({named})", *target)
