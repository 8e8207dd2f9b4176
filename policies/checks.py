"""The checks policy definitions name. Each takes an inventory and yields verdicts; no I/O.

A check decides *what* is wrong; the policy's YAML says how bad it is and what to do about it.
Non-DWP resources never produce a verdict: hosting them abroad is not offshoring (paragraph 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from scanner.model import (
    Category,
    Classification,
    Flow,
    FlowKind,
    GuardrailKind,
    Inventory,
    Location,
    Outcome,
    Resource,
    SourceRef,
)


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
    judged: str = ""
    """What was judged besides the location, for the fingerprint: a flow's kind and receiving resource,
    an access path's principal."""


Check = Callable[[Inventory], Iterator[Verdict]]


def _dwp_hosts(inventory: Inventory) -> Iterator[Resource]:
    for resource in inventory.resources:
        if resource.classification.dwp and resource.holds_data and resource.placement_judged:
            yield resource


def _dwp_flows(inventory: Inventory) -> Iterator[tuple[Flow, Resource]]:
    for flow in inventory.flows:
        subject = inventory.resource(flow.resource_id)
        if subject is not None and subject.classification.dwp:
            yield flow, subject


def _where_it_is(flow: Flow, subject: Resource) -> bool:
    """A copy to the place its subject already is: listed as a flow, but the hosting finding (or none, in the UK)
    already says all there is to say about that place."""
    here, there = subject.location, flow.target
    return here.uk is not None and there.uk is not None and (here.cloud, here.region) == (there.cloud, there.region)


def _flow_judged(flow: Flow) -> str:
    return f"{flow.kind.value} to {flow.target_id or 'an unnamed destination'}"


def _said_as_copies(inventory: Inventory) -> set[str]:
    """Copies on which a copy flow of a DWP source lands, where it says they are: the replication finding already
    says where the data went, so hosting the copy there is not said again (one place, once). A copy is one DWP
    only as a copy of a DWP source, or, whatever its tags, the same resource in another region (a secret's, a
    table's or a multi-Region key's replica, read live by its own ARN). A read replica with an identity of its
    own (a database that can be promoted) is a resource in its own right: its hosting is still said."""
    said: set[str] = set()
    replicas: set[str] = set()
    for flow, subject in _dwp_flows(inventory):
        if flow.target_id and flow.category is Category.REPLICATION and flow.target_id != subject.id:
            said.add(flow.target_id)
            if _same_arn_elsewhere(subject.id, flow.target_id):
                replicas.add(flow.target_id)
    return {r.id for r in inventory.resources
            if r.id in said and (r.id in replicas or r.classification.reason.startswith("copy of "))}


_ARN_PARTS = re.compile(r"^(arn:[\w-]+:[\w-]+:)[\w-]*(:\d{12}:.+)$")


def _same_arn_elsewhere(one: str, other: str) -> bool:
    """Whether two ARNs name the same resource in two regions (a secret or a table and its replica)."""
    first, second = _ARN_PARTS.match(one), _ARN_PARTS.match(other)
    return first is not None and second is not None and first.groups() == second.groups() and one != other


def hosting_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """DWP resources whose own location is established and outside the UK."""
    said = _said_as_copies(inventory)
    for resource in _dwp_hosts(inventory):
        if resource.location.uk is False and resource.id not in said:
            yield Verdict(
                Outcome.FAIL,
                Category.HOSTING,
                resource,
                resource.location,
                f"{resource.label} is hosted in {resource.location.describe()}, outside the UK",
                evidence=(f"DWP because {resource.classification.reason}",),
            )


def _flows_outside_uk(inventory: Inventory, category: Category) -> Iterator[Verdict]:
    for flow, subject in _dwp_flows(inventory):
        if (flow.category is category and flow.target.uk is False and flow.kind is not FlowKind.CONNECTED
                and not _where_it_is(flow, subject)):
            yield Verdict(
                Outcome.FAIL,
                category,
                subject,
                flow.target,
                f"{flow.description} {_VERBS[category]} {subject.label} to {flow.target.describe()}, outside the UK",
                target=flow.target,
                source=flow.source,
                evidence=(f"DWP because {subject.classification.reason}", f"{flow.kind.value} flow"),
                judged=_flow_judged(flow),
            )


_VERBS = {
    Category.REPLICATION: "copies",
    Category.DIAGNOSTICS: "sends diagnostics of",
    Category.NETWORK: "connects",
}


def replication_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """Copies of DWP data (replicas, backups, edge caches) that land outside the UK."""
    return _flows_outside_uk(inventory, Category.REPLICATION)


def diagnostics_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """Logs, metrics, traces and alerts about DWP resources sent to a place outside the UK."""
    return _flows_outside_uk(inventory, Category.DIAGNOSTICS)


def network_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """Network paths (peering, interconnects) from DWP resources to places outside the UK."""
    return _flows_outside_uk(inventory, Category.NETWORK)


def connected_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """Resources connected to DWP data, in a relation the resource map does not model, that name a place outside
    the UK (the net beneath the map): what the relation does with the data is unknown, where it points is not."""
    for flow, subject in _dwp_flows(inventory):
        if flow.kind is FlowKind.CONNECTED and flow.target.uk is False:
            yield Verdict(
                Outcome.UNKNOWN,
                flow.category,
                subject,
                flow.target,
                f"{subject.label}: {flow.target.note}",
                target=flow.target,
                source=flow.source,
                evidence=(f"DWP because {subject.classification.reason}", "connected resource, relation not modelled"),
                judged=_flow_judged(flow),
            )


def access_from_outside_uk(inventory: Inventory) -> Iterator[Verdict]:
    """External principals who can reach DWP resources: outside the UK (fail) or not placed (unknown)."""
    for grant in inventory.grants:
        resource = inventory.resource(grant.resource_id)
        if resource is None or not resource.classification.dwp or grant.internal or grant.uk is True:
            continue
        who = f"{grant.principal}" + (f" ({grant.owner})" if grant.owner else "")
        if grant.public:
            outcome, message = Outcome.FAIL, f"{who}, anywhere, can reach {resource.label}: {grant.description}"
        elif grant.uk is False:
            outcome, message = Outcome.FAIL, f"{who} in {grant.country} can reach {resource.label}: {grant.description}"
        elif not grant.readable:
            outcome = Outcome.UNKNOWN
            message = f"who can reach {resource.label} could not be read: {grant.description}"
        else:
            outcome = Outcome.UNKNOWN
            message = (
                f"{who} can reach {resource.label} ({grant.description}), and the estate map does not say where "
                "it is: add it to estate in offshore-scan.yaml"
            )
        # The far end of an access path is the principal: naming it as the target keeps one finding per
        # principal (the fingerprint includes the target) and shows its country in reports.
        principal = Location("principal", grant.principal, grant.country, grant.uk,
                             (grant.description,), grant.owner)
        yield Verdict(
            outcome,
            Category.ACCESS,
            resource,
            principal,
            message,
            target=principal,
            source=grant.source,
            evidence=(f"DWP because {resource.classification.reason}", f"principal {grant.principal}"),
            judged=f"principal {grant.principal}",
        )


_GUARDRAIL_WORDS = {
    GuardrailKind.AWS_SCP_REGION_DENY: "no service control policy denying aws:RequestedRegion outside eu-west-2",
    GuardrailKind.AZURE_POLICY_ALLOWED_LOCATIONS:
        "no Azure Policy \"Allowed locations\" assignment limited to uksouth/ukwest",
}


def region_guardrail_missing(inventory: Inventory) -> Iterator[Verdict]:
    """A cloud holding DWP resources with no control that keeps new resources in UK regions (or, where the
    controls in view govern some accounts only, DWP resources in the accounts none governs)."""
    for kind in GuardrailKind:
        cloud = kind.cloud
        # Resources the cloud's accounts hold: a Kubernetes workload placed in an AWS region is not the account's.
        # A record whose placement is not judged (a live stand-in for what a failed read would have shown) is no
        # resource of the estate: not counted.
        dwp = [r for r in inventory.resources
               if r.deployed_to == cloud and r.classification.dwp and r.placement_judged]
        if not dwp:
            continue
        guards = [g for g in inventory.guardrails if g.kind is kind and g.read]
        unread = [g for g in inventory.guardrails if g.kind is kind and not g.read]
        holding = [g for g in guards if g.uk_only]
        if any(g.accounts is None for g in holding):
            continue
        # Guardrails attached below the root (an OU's SCP) govern only the accounts under them.
        governed = {a for g in holding for a in g.accounts or ()}
        ungoverned = [r for r in dwp if r.account not in governed]
        if not ungoverned:
            continue
        where = cloud
        if holding:
            accounts = sorted({r.account or "(account not known)" for r in ungoverned})
            where = f"{cloud} account(s) {', '.join(accounts)} that no such control governs"
        dwp = ungoverned
        first = min(dwp, key=lambda r: (r.source.path, r.source.line or 0))
        open_everywhere = Location(cloud, None, None, None, (), "every region is open to new resources")
        # The finding is about the estate, not one resource: it gets a resource of its own.
        # A live resource's source is "account/region": the estate-wide finding is the account's, not a region's.
        live = first.account is not None and first.source.path.startswith(f"{first.account}/")
        estate = Resource(
            id=f"{cloud} estate",
            type="region guardrail",
            location=open_everywhere,
            classification=Classification(True, f"{len(dwp)} DWP resource(s) deployed to {cloud}"),
            source=SourceRef(first.account if live and first.account else first.source.path, None,
                             f"{cloud} estate"),
            holds_data=False,
        )
        # The estate is its accounts (subscriptions): in the fingerprint, so one estate's baseline or waiver never
        # hides another's missing guardrail. None known (Terraform without allowed_account_ids): the cloud alone.
        scope = sorted({r.account for r in dwp if r.account})
        judged = f"{cloud} account(s) {','.join(scope)}" if scope else ""
        if unread:
            yield Verdict(
                Outcome.UNKNOWN,
                Category.HOSTING,
                estate,
                open_everywhere,
                f"whether a region guardrail keeps new resources in the UK is not known: "
                f"{'; '.join(g.description for g in unread)} ({len(dwp)} DWP resource(s) in {where})",
                evidence=tuple(g.description for g in (*guards, *unread)),
                judged=judged,
            )
            continue
        found = "; ".join(g.description for g in guards) or "none was found in the scanned configuration"
        yield Verdict(
            Outcome.FAIL,
            Category.HOSTING,
            estate,
            open_everywhere,
            f"{_GUARDRAIL_WORDS[kind]} ({found}): {len(dwp)} DWP resource(s) in {where}, and nothing stops new "
            "ones being created outside the UK",
            evidence=tuple(g.description for g in guards),
            judged=judged,
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
                f"{resource.label}: location not established: {resource.location.note or 'no region is set'}",
                evidence=(f"DWP because {resource.classification.reason}",),
            )
    for flow, subject in _dwp_flows(inventory):
        if flow.target.uk is None:
            # The net's note says the whole relation (who names what, and what settles it).
            message = (f"{subject.label}: {flow.target.note}" if flow.kind is FlowKind.CONNECTED else
                       f"{flow.description} {_VERBS[flow.category]} {subject.label} to a place that could not be "
                       f"established: {flow.target.note or 'no region is set'}")
            yield Verdict(
                Outcome.UNKNOWN,
                flow.category,
                subject,
                flow.target,
                message,
                target=flow.target,
                source=flow.source,
                evidence=(f"DWP because {subject.classification.reason}", f"{flow.kind.value} flow"),
                judged=_flow_judged(flow),
            )


CHECKS: dict[str, Check] = {
    "hosting_outside_uk": hosting_outside_uk,
    "replication_outside_uk": replication_outside_uk,
    "diagnostics_outside_uk": diagnostics_outside_uk,
    "network_outside_uk": network_outside_uk,
    "connected_outside_uk": connected_outside_uk,
    "access_from_outside_uk": access_from_outside_uk,
    "region_guardrail_missing": region_guardrail_missing,
    "location_unknown": location_unknown,
}
