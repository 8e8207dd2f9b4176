"""Replicas: where a resource's replica is, which resource of the scan it is, and whose data it holds.

A secret's or a DynamoDB table's replica is named on the source by a region only; read live, the replica is a
resource of its own with the same ARN in that region. The ``aws_replica_region`` target places the copy by the
region and, when the scan holds that resource, names it, so the finding names the replica by its own ARN and
the replica is not said again as a hosting of the copy. ``landing_copies`` says, from the flows the resource map
declares, which resources receive a copy of which subjects (``copies.yaml`` ``replica_kinds``): with no DWP tag
of their own they are DWP as copies of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from providers.semantics.context import NormaliseContext, placed, setting
from providers.semantics.records import ResourceRecord
from providers.semantics.resource_map import replica_kinds
from providers.semantics.targets import Target
from scanner.model import Flow

_ARN = re.compile(r"^(arn:[\w-]+:[\w-]+:)([\w-]*)(:\d{12}:.+)$")


def in_region(arn: Any, region: Any) -> str | None:
    """``arn`` with its region replaced by ``region``: the same resource's replica there (None if not an ARN)."""
    match = _ARN.match(arn) if isinstance(arn, str) else None
    if match is None or not isinstance(region, str) or not region:
        return None
    return f"{match.group(1)}{region}{match.group(3)}"


def target_aws_replica_region(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    """The region a replica is in; the replica itself when the scan holds it (live records, by ARN)."""
    step = setting(record, path, value)
    replica = context.by_address.get(in_region(record.values.get("arn") or record.address, value) or "")
    if replica is None or replica is record or replica.type != record.type:
        return placed("aws", value, (step,)), None
    return placed("aws", value, (step, f"replica {replica.address}")), replica.address


NAMES_THE_REPLICA = frozenset({"aws_replica_region"})
"""Targets whose receiving resource, when known, is what the flow's description names (the replica's own ARN),
rather than the resource that declares it."""


def landing_copies(flows: Iterable[Flow]) -> Mapping[str, tuple[str, ...]]:
    """Receiving resource -> the subjects whose data a replica flow (``replica_kinds``) copies onto it."""
    kinds = replica_kinds()
    found: dict[str, list[str]] = {}
    for flow in flows:
        if flow.kind in kinds and flow.target_id and flow.target_id != flow.resource_id:
            subjects = found.setdefault(flow.target_id, [])
            if flow.resource_id not in subjects:
                subjects.append(flow.resource_id)
    return {address: tuple(subjects) for address, subjects in found.items()}
