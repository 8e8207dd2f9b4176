"""Resource Graph for the local ARM endpoint: a query's answer built from an estate's recorded answers.

Only what offshore-scan asks is served (``graph.QUERY``: every resource, resource group and subscription of
the subscriptions named), in Resource Graph's documented shape (``totalRecords``, ``count``, ``data`` as an
object array, ``$skipToken`` while more rows remain, ``resultTruncated``). A subscription whose listing the
estate refuses is left out of the answer, subscription row included, as Resource Graph leaves out what the
caller cannot read.
"""

from __future__ import annotations

from typing import Any

GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"


def _settled(answer: Any) -> Any:
    """The answer a recorded route finally gives (the last of a sequence); None when it is an error."""
    if isinstance(answer, dict) and "$sequence" in answer:
        answer = answer["$sequence"][-1]
    if isinstance(answer, dict) and "$status" in answer:
        return answer.get("$body") if int(answer["$status"]) == 200 else None
    return answer


def rows(routes: dict[str, Any], subscriptions: list[str]) -> list[dict[str, Any]]:
    """Every row the query gives for ``subscriptions``, ordered by id."""
    found: list[dict[str, Any]] = []
    for subscription in subscriptions:
        base = f"/subscriptions/{subscription.lower()}"
        listing = _settled(routes.get(f"{base}/resources"))
        if not isinstance(listing, dict):
            continue
        found.append({"id": base, "name": subscription, "type": "microsoft.resources/subscriptions",
                      "subscriptionId": subscription})
        for group in (_settled(routes.get(f"{base}/resourcegroups")) or {}).get("value", []):
            found.append({**group, "type": "microsoft.resources/subscriptions/resourcegroups",
                          "subscriptionId": subscription})
        for resource in listing.get("value", []):
            whole = _settled(routes.get(str(resource["id"]).lower()))
            properties = whole.get("properties") if isinstance(whole, dict) else None
            found.append({**resource, "type": str(resource["type"]).lower(), "subscriptionId": subscription,
                          "properties": properties or {}})
    return sorted(found, key=lambda r: str(r["id"]).lower())


def graph_answer(routes: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """One page of the query's answer."""
    options = request.get("options") or {}
    top = int(options.get("$top") or 1000)
    start = int(options.get("$skipToken") or 0)
    every = rows(routes, [str(s) for s in request.get("subscriptions") or []])
    page = every[start:start + top]
    answer: dict[str, Any] = {"totalRecords": len(every), "count": len(page), "data": page, "facets": [],
                              "resultTruncated": "false"}
    if start + top < len(every):
        answer["$skipToken"] = str(start + top)
    return answer
