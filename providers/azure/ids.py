"""Azure resource ids: what they name (subscription, group, provider, type, name), read without calls."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"(?i)^/subscriptions/(?P<subscription>[^/]+)(?:/resourceGroups/(?P<group>[^/]+))?"
                 r"(?:/providers/(?P<rest>.+))?$")


@dataclass(frozen=True)
class ResourceId:
    """The parts of an ARM resource id."""

    subscription: str
    """The subscription id, lower case."""
    resource_group: str | None
    """The resource group's name, None above group level."""
    provider: str | None
    """The resource provider namespace of the (last) resource (``Microsoft.Storage``)."""
    arm_type: str | None
    """``Microsoft.Storage/storageAccounts``, or ``Microsoft.Sql/servers/databases`` for a child."""
    name: str | None
    """The last name in the id."""


def parse_id(resource_id: str) -> ResourceId | None:
    """The parts of ``/subscriptions/S/resourceGroups/G/providers/NS/type/name[/child/name]``, or None."""
    match = _ID.match(resource_id.strip().rstrip("/")) if isinstance(resource_id, str) else None
    if match is None:
        return None
    rest = match.group("rest")
    provider = arm_type = name = None
    if rest:
        # An extension resource (a diagnostic setting) names the provider of its own type last.
        last = rest.split("/providers/")[-1].split("/")
        provider = last[0]
        types, names = last[1::2], last[2::2]
        arm_type = "/".join([provider, *types]) if types else None
        name = names[-1] if names else None
    return ResourceId(match.group("subscription").lower(), match.group("group"), provider, arm_type, name)


def provider_of(resource_id: str, fallback: str = "Microsoft.Resources") -> str:
    """The resource provider a call about ``resource_id`` is counted against."""
    parsed = parse_id(resource_id)
    return parsed.provider if parsed is not None and parsed.provider else fallback


def subscription_path(subscription: str) -> str:
    """``/subscriptions/S``."""
    return f"/subscriptions/{subscription}"
