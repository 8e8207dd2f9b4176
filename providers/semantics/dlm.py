"""Which resources an Amazon Data Lifecycle Manager policy snapshots or images, as AWS documents it.

A snapshot or AMI policy (``EBS_SNAPSHOT_MANAGEMENT``, ``IMAGE_MANAGEMENT``) targets the volumes or instances
(``resource_types``) of its own region tagged with *any* of its ``target_tags``; its cross-region copy rules copy
their snapshots or AMIs. An event-based policy (``EVENT_BASED_POLICY``) copies the snapshots other accounts
share with its account: those the scanned policies share (``share_rule``) are the ones found here. Matching is
three-valued: a tag, region or account that is not known may match, and is taken (its copy is then judged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from providers.semantics.records import ResourceRecord, Unknown

RESOURCE_TYPES = {"VOLUME": "aws_ebs_volume", "INSTANCE": "aws_instance"}
"""DLM ``resource_types`` -> the Terraform type of what it snapshots (an instance: its volumes, or an AMI)."""

RegionOf = Callable[[ResourceRecord], str | None]


def tags_of(record: ResourceRecord) -> dict[str, Any] | None:
    """The tags a resource carries (the provider's default tags, then its own); None when not known at all."""
    tags: dict[str, Any] = {}
    default_tags = record.placement.default_tags
    if isinstance(default_tags.get("__unknown__"), Unknown):
        return None
    tags.update(default_tags)
    for key in ("tags_all", "tags"):
        value = record.values.get(key)
        if isinstance(value, Mapping):
            tags.update(value)
        elif isinstance(value, Unknown) and key == "tags":
            return None
    return tags


def _details(policy: ResourceRecord) -> Mapping[str, Any]:
    details = policy.values.get("policy_details")
    if isinstance(details, list):
        details = details[0] if details else {}
    return details if isinstance(details, Mapping) else {}


def _tagged(tags: Mapping[str, Any] | None, wanted: Any) -> bool:
    """Whether a resource's tags hold any of the policy's target tags (unknown on either side: may)."""
    if tags is None or not isinstance(wanted, Mapping):
        return True
    for key, value in wanted.items():
        if isinstance(key, Unknown):
            return True
        if key in tags and (isinstance(value, Unknown) or isinstance(tags[key], Unknown) or tags[key] == value):
            return True
    return False


def targeted(records: Sequence[ResourceRecord], policy: ResourceRecord, region_of: RegionOf) -> list[ResourceRecord]:
    """The scanned volumes or instances a snapshot or AMI policy targets."""
    details = _details(policy)
    kinds = details.get("resource_types")
    if not isinstance(kinds, list) or not kinds:
        kinds = ["INSTANCE"] if details.get("policy_type") == "IMAGE_MANAGEMENT" else ["VOLUME"]
    types = {RESOURCE_TYPES.get(k) for k in kinds if isinstance(k, str)}
    if any(isinstance(k, Unknown) for k in kinds):
        types = set(RESOURCE_TYPES.values())
    here = region_of(policy)
    wanted = details.get("target_tags")
    return [r for r in records
            if r.mode == "managed" and r.type in types
            and (here is None or region_of(r) in (here, None))
            and _tagged(tags_of(r), wanted)]


def _accounts(value: Any) -> Iterator[Any]:
    yield from value if isinstance(value, list) else [value]


def sharing_policies(records: Sequence[ResourceRecord], policy: ResourceRecord,
                     accounts: Sequence[str]) -> list[ResourceRecord]:
    """The scanned policies whose snapshots an event-based policy copies: those sharing with its account.

    ``accounts`` are the event-based policy's own (none known: any sharing policy may share with it)."""
    parameters = _details(policy).get("event_source")
    parameters = parameters[0] if isinstance(parameters, list) and parameters else parameters
    parameters = parameters.get("parameters") if isinstance(parameters, Mapping) else None
    parameters = parameters[0] if isinstance(parameters, list) and parameters else parameters
    owners = list(_accounts(parameters.get("snapshot_owner"))) if isinstance(parameters, Mapping) else []
    found: list[ResourceRecord] = []
    for other in records:
        if other.type != policy.type or other is policy:
            continue
        shared = [a for schedule in _list(_details(other).get("schedule"))
                  for rule in _list(schedule.get("share_rule") if isinstance(schedule, Mapping) else None)
                  if isinstance(rule, Mapping) for a in _accounts(rule.get("target_accounts"))]
        if not shared:
            continue
        with_us = not accounts or any(isinstance(a, Unknown) or a in accounts for a in shared)
        owner = other.placement.account
        from_owner = not owners or owner is None or any(isinstance(o, Unknown) or o == owner for o in owners)
        if with_us and from_owner:
            found.append(other)
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []
