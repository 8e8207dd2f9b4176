"""Discovery: the subscriptions to scan, and every resource (with tags and location) and resource group in each.

I/O only: each function makes its calls through ``Calls`` and returns ARM JSON, or a ``Failed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from providers.azure.calls import TENANT, Calls
from providers.azure.options import AzureOptions
from providers.azure.session import CredentialsError
from providers.live.failed import Failed
from scanner.model import CoverageGap, ScopeStatus

MANAGEMENT_API = "2023-04-01"
"""api-version of Microsoft.Management (management group descendants)."""


@dataclass(frozen=True)
class Subscriptions:
    """The subscriptions a scan reads, and the ones it was asked for but cannot."""

    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Subscription id (lower case) -> its ARM JSON (``displayName``, ``tenantId``, ``state``)."""
    notes: tuple[CoverageGap, ...] = ()
    """Subscriptions left out (disabled, another tenant) or not readable, said."""


def _refused(answer: Failed) -> bool:
    """A first answer that means the credentials or the endpoint cannot be used at all."""
    return (answer.status is ScopeStatus.DENIED and answer.detail.startswith("HTTP 401")) or \
        answer.detail.startswith("no answer from the endpoint")


def subscriptions(calls: Calls, options: AzureOptions) -> Subscriptions:
    """The subscriptions to scan: the ``--subscription`` ones, those under ``--management-group``, or every
    enabled one the credentials can list. ``CredentialsError`` when the first answer says they cannot be used."""
    client = calls.clients.get("subscriptions")
    listed = calls.read(TENANT, "Microsoft.Resources", "subscriptions.list", lambda: client.subscriptions.list())
    if isinstance(listed, Failed):
        if _refused(listed):
            where = calls.clients.options.arm_endpoint or "Azure Resource Manager"
            raise CredentialsError(f"{where} did not accept the credentials or did not answer ({listed.detail}): "
                                   "sign in again (az login) or check --arm-endpoint, and try again")
        listed = []
    readable = {str(s["subscriptionId"]).lower(): s for s in listed or [] if s.get("subscriptionId")}
    notes: list[CoverageGap] = []
    wanted: list[str]
    if options.subscriptions:
        wanted = list(options.subscriptions)
    elif options.management_group:
        wanted = _under_group(calls, options.management_group, notes)
    else:
        wanted = sorted(readable)
    found: dict[str, dict[str, Any]] = {}
    for subscription in wanted:
        entry = readable.get(subscription) or _read_one(calls, client, subscription)
        if entry is None:
            notes.append(CoverageGap(f"{subscription}/global", None, f"subscription {subscription} is not readable "
                                     "with these credentials (grant the role in docs/azure-readonly-role.json on "
                                     "it): nothing in it was judged", kind="skipped"))
        elif options.tenant is not None and str(entry.get("tenantId", "")).lower() != options.tenant.lower():
            notes.append(CoverageGap(f"{subscription}/global", None, f"subscription {subscription} is in tenant "
                                     f"{entry.get('tenantId')}, not --tenant {options.tenant}: left out",
                                     kind="note"))
        elif str(entry.get("state", "Enabled")) not in ("Enabled", "PastDue", "Warned"):
            notes.append(CoverageGap(f"{subscription}/global", None, f"subscription {subscription} is "
                                     f"{entry.get('state')}: its resources cannot be read, so they were not judged",
                                     kind="note"))
        else:
            found[subscription] = entry
    return Subscriptions(found, tuple(notes))


def _read_one(calls: Calls, client: Any, subscription: str) -> dict[str, Any] | None:
    """A subscription asked for by id that the listing did not hold (an identity may read a subscription it
    cannot list): ``GET /subscriptions/{id}``."""
    answer = calls.read(TENANT, "Microsoft.Resources", "subscriptions.get",
                        lambda: client.subscriptions.get(subscription))
    return answer if isinstance(answer, dict) and answer.get("subscriptionId") else None


def _under_group(calls: Calls, group: str, notes: list[CoverageGap]) -> list[str]:
    """Every subscription under a management group (at any depth)."""
    answer = calls.listing(TENANT, "Microsoft.Management",
                           f"/providers/Microsoft.Management/managementGroups/{group}/descendants", MANAGEMENT_API,
                           client_kind="subscriptions")
    if isinstance(answer, Failed) or answer is None:
        why = answer.detail if isinstance(answer, Failed) else "no such management group"
        notes.append(CoverageGap(f"managementGroups/{group}", None, f"the subscriptions under management group "
                                 f"{group} could not be listed ({why}): none of them was judged", kind="skipped"))
        return []
    return sorted(str(d["name"]).lower() for d in answer
                  if str(d.get("type", "")).lower().endswith("/subscriptions") and d.get("name"))


def resources(calls: Calls, subscription: str) -> list[dict[str, Any]] | Failed:
    """Every resource of the subscription: id, type, name, location, tags, sku, kind (no properties)."""
    client = calls.clients.get("resources", subscription)
    answer = calls.read(subscription, "Microsoft.Resources", "resources.list", lambda: client.resources.list())
    return answer if isinstance(answer, Failed) else list(answer or [])


def resource_groups(calls: Calls, subscription: str) -> list[dict[str, Any]] | Failed:
    """Every resource group of the subscription, with its location and tags."""
    client = calls.clients.get("resources", subscription)
    answer = calls.read(subscription, "Microsoft.Resources", "resource_groups.list",
                        lambda: client.resource_groups.list())
    return answer if isinstance(answer, Failed) else list(answer or [])
