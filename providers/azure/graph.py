"""Azure Resource Graph: the inventory of many subscriptions in one query, every resource with its properties.

The fast path for discovery: one ``POST /providers/Microsoft.ResourceGraph/resources`` (a page per 1,000 rows)
gives what ``resources.list`` and ``resource_groups.list`` give per subscription, and the ``properties`` a
listing leaves out, so a DWP resource of a type no collector reads needs no ``GET`` of its own.

Resource Graph leaves out, without saying so, every subscription the caller cannot read: a subscription is
taken from the answer only when the answer holds that subscription itself (the query's ``resourcecontainers``
rows); every other one is listed the ordinary way, and a refusal there is the coverage gap it always was.
An answer that fails, or is not Resource Graph's shape, means the same for every subscription: the scan lists
them as before, with a note, never an empty inventory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from providers.azure.calls import GLOBAL, TENANT, Calls
from providers.live.answers import MAX_PAGES
from providers.live.coverage import Recorder
from providers.live.failed import Failed
from scanner.model import CoverageGap, ScopeStatus

API_VERSION = "2022-10-01"
PATH = "/providers/Microsoft.ResourceGraph/resources"
PROVIDER = "Microsoft.ResourceGraph"
PAGE = 1000
"""Rows a page (Resource Graph's largest ``$top``)."""
QUERY = ("resources | union (resourcecontainers | where type in~ ('microsoft.resources/subscriptions', "
         "'microsoft.resources/subscriptions/resourcegroups')) "
         "| project id, name, type, location, tags, sku, kind, properties, subscriptionId, managedBy, identity, zones "
         "| order by id asc")
"""Every resource, resource group and subscription, in the listing's shape plus ``properties``; ordered, because
Resource Graph pages a query with a stable order only."""
_SUBSCRIPTION = "microsoft.resources/subscriptions"
_GROUP = "microsoft.resources/subscriptions/resourcegroups"


@dataclass(frozen=True)
class GraphInventory:
    """What one Resource Graph query held, per subscription it covered."""

    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Subscription (lower case) -> its resources, in ``resources.list``'s shape with ``properties``."""
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Subscription -> its resource groups, in ``resource_groups.list``'s shape."""
    requests: int = 0
    """Pages asked for."""

    def covers(self, subscription: str) -> bool:
        """Whether the answer held the subscription itself (so its resources are all there)."""
        return subscription.lower() in self.resources


def query(calls: Calls, subscriptions: Iterable[str]) -> GraphInventory | Failed:
    """Every resource of ``subscriptions`` by Resource Graph, or why it could not be used.

    The attempt runs on a recorder of its own: a caller without Resource Graph (or an endpoint that does not
    serve it) is no coverage gap, since the listing takes over; its pages are counted once they are used."""
    wanted = sorted({s.lower() for s in subscriptions})
    scratch = Calls(calls.clients, Recorder())
    rows: list[dict[str, Any]] = []
    token: str | None = None
    seen: set[str] = set()
    requests = 0
    while True:
        options: dict[str, Any] = {"resultFormat": "objectArray", "$top": PAGE}
        if token is not None:
            options["$skipToken"] = token
        answer = scratch.post(TENANT, PROVIDER, PATH, API_VERSION,
                              {"subscriptions": wanted, "query": QUERY, "options": options})
        requests += 1
        if isinstance(answer, Failed):
            return answer
        page = _page_problem(answer)
        if page is not None:
            return Failed(PROVIDER, "POST resources", ScopeStatus.FAILED, page)
        rows.extend(r for r in answer["data"] if isinstance(r, dict))
        token = answer.get("$skipToken") if isinstance(answer.get("$skipToken"), str) else None
        if token is None:
            break
        if token in seen or requests >= MAX_PAGES:
            return Failed(PROVIDER, "POST resources", ScopeStatus.FAILED,
                          "endless pagination ($skipToken repeated, or too many pages)")
        seen.add(token)
    calls.recorder.touch(TENANT, GLOBAL, PROVIDER)
    for _ in range(requests):
        calls.recorder.count(TENANT, GLOBAL, PROVIDER)
    return inventory_of(rows, wanted, requests)


def _page_problem(answer: Any) -> str | None:
    """What keeps an answer from being a Resource Graph page (``data`` a list of objects), or None."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("data"), list):
        return "the answer is not a Resource Graph page (no list under data; resultFormat objectArray)"
    if str(answer.get("resultTruncated", "false")).lower() == "true" and not answer.get("$skipToken"):
        return "Resource Graph truncated the answer without a $skipToken"
    return None


def inventory_of(rows: Iterable[Mapping[str, Any]], wanted: Iterable[str], requests: int = 0) -> GraphInventory:
    """The rows of a query, per subscription: pure. A subscription whose own row is missing is left out."""
    present = {str(r.get("subscriptionId", "")).lower() for r in rows
               if str(r.get("type", "")).lower() == _SUBSCRIPTION}
    covered = [s for s in wanted if s in present]
    resources: dict[str, list[dict[str, Any]]] = {s: [] for s in covered}
    groups: dict[str, list[dict[str, Any]]] = {s: [] for s in covered}
    for row in rows:
        subscription = str(row.get("subscriptionId", "")).lower()
        kind = str(row.get("type", "")).lower()
        if subscription not in resources or kind == _SUBSCRIPTION:
            continue
        entry = {k: v for k, v in row.items() if k != "subscriptionId" and v not in (None, "", {}, [])}
        if kind == _GROUP:
            groups[subscription].append({**entry, "type": "Microsoft.Resources/resourceGroups"})
        else:
            resources[subscription].append(entry)
    return GraphInventory(resources, groups, requests)


def note(failed: Failed) -> CoverageGap:
    """Said once when Resource Graph could not be used: the listing was used instead (no gap)."""
    return CoverageGap(f"{TENANT}/{GLOBAL}", None, f"Azure Resource Graph could not be used ({failed.status.value}: "
                       f"{failed.detail}): every subscription's resources were listed instead, and the properties "
                       "of DWP resources no collector reads were read by id", kind="note")
