"""The checks policy definitions name. Each takes an inventory and yields verdicts; no I/O.

A check decides *what* is wrong; the policy's YAML says how bad it is and what to do about it.
Non-DWP resources never produce a verdict: hosting them abroad is not offshoring (paragraph 5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from scanner.model import Category, Flow, Inventory, Location, Outcome, Resource, SourceRef


@dataclass(frozen=True)
class Verdict:
    """What a check found about one resource, before the policy's metadata is attached."""

    outcome: Outcome
    """``fail`` or ``unknown``."""
    category: Category
    """The finding's category."""
    resource: Resource
    """The DWP resource concerned."""
    location: Location
    """The location judged."""
    message: str
    """One sentence for the report."""
    target: Location | None = None
    """A flow's destination, for flow verdicts."""
    source: SourceRef | None = None
    """Where the flow was declared, when not on the resource itself."""
    evidence: tuple[str, ...] = ()
    """Facts for the questionnaire."""


Check = Callable[[Inventory], Iterator[Verdict]]


def _dwp_hosts(inventory: Inventory) -> Iterator[Resource]:
    for resource in inventory.resources:
        if resource.classification.dwp and resource.holds_data:
            yield resource


def _dwp_flows(inventory: Inventory) -> Iterator[tuple[Flow, Resource]]:
    for flow in inventory.flows:
        subject = inventory.resource(flow.resource_id)
        if subject is not None and subject.classification.dwp:
            yield flow, subject


def hosting_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """DWP resources whose own location is established and outside the UK."""
    for resource in _dwp_hosts(inventory):
        if resource.location.uk is False:
            yield Verdict(
                Outcome.FAIL,
                Category.HOSTING,
                resource,
                resource.location,
                f"{resource.id} is hosted in {resource.location.describe()}, outside the UK",
                evidence=(f"DWP because {resource.classification.reason}",),
            )


def replication_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """Copies of DWP data (replicas, backups, edge caches) that land outside the UK."""
    for flow, subject in _dwp_flows(inventory):
        if flow.target.uk is False:
            yield Verdict(
                Outcome.FAIL,
                Category.REPLICATION,
                subject,
                flow.target,
                f"{flow.description} copies {subject.id} to {flow.target.describe()}, outside the UK",
                target=flow.target,
                source=flow.source,
                evidence=(f"DWP because {subject.classification.reason}", f"{flow.kind.value} flow"),
            )


def location_unknown(inventory: Inventory) -> Iterator[Verdict]:
    """DWP resources, and copies of DWP data, whose location could not be established."""
    for resource in _dwp_hosts(inventory):
        if resource.location.uk is None:
            yield Verdict(
                Outcome.UNKNOWN,
                Category.HOSTING,
                resource,
                resource.location,
                f"{resource.id}: {resource.location.note or 'location unresolved'}",
                evidence=(f"DWP because {resource.classification.reason}",),
            )
    for flow, subject in _dwp_flows(inventory):
        if flow.target.uk is None:
            yield Verdict(
                Outcome.UNKNOWN,
                Category.REPLICATION,
                subject,
                flow.target,
                f"{flow.description} copies {subject.id} to a place that could not be established: "
                f"{(flow.target.note or 'location unresolved').removeprefix('location unresolved: ')}",
                target=flow.target,
                source=flow.source,
                evidence=(f"DWP because {subject.classification.reason}", f"{flow.kind.value} flow"),
            )


CHECKS: dict[str, Check] = {
    "hosting_outside_uk": hosting_outside_uk,
    "replication_outside_uk": replication_outside_uk,
    "location_unknown": location_unknown,
}
