"""CloudFront: distributions (a global service), with their origins, when the account has any DWP bucket
or DWP distribution: a distribution whose origin is a DWP bucket caches DWP data at the edge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from providers.aws.calls import Clients, Failed
from providers.aws.records import Scope, live_record, tag_map
from providers.aws.session import HOME_REGION
from providers.semantics.records import ResourceRecord

SERVICE = "cloudfront"


def fetch_distributions(clients: Clients, account: str) -> list[Any] | Failed | None:
    """ListDistributions (every page)."""
    client = clients.get(account, HOME_REGION, SERVICE, scope_region="global")
    # botocore's paginator follows NextMarker; a marker seen twice or endless pages are a Failed, never a loop.
    return client.pages("list_distributions", "DistributionList.Items", expect=("Id", "ARN"))


def translate_distributions(account: str, items: Iterable[Mapping[str, Any]],
                            tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each distribution as an ``aws_cloudfront_distribution`` with its ``origin`` blocks."""
    scope = Scope(account, "global")
    records = []
    for item in items:
        origins = [{"domain_name": o.get("DomainName"), "origin_id": o.get("Id")}
                   for o in (item.get("Origins") or {}).get("Items") or []]
        values = {"id": item["Id"], "domain_name": item.get("DomainName"), "enabled": item.get("Enabled"),
                  "origin": origins, "tags": dict(tags.get(item["ARN"]) or tag_map(item.get("Tags")))}
        records.append(live_record(scope, item["ARN"], "aws_cloudfront_distribution", values,
                                   "cloudfront:ListDistributions", region=HOME_REGION,
                                   how=(f"cloudfront is global (account {account})",)))
    return records


def collect_distributions(clients: Clients, account: str, dwp: Iterable[str],
                          tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """The account's distributions, if it holds any DWP bucket or distribution."""
    if not any(a.startswith(("arn:aws:s3:::", "arn:aws:cloudfront:")) for a in dwp):
        return []
    items = fetch_distributions(clients, account)
    return translate_distributions(account, items, tags) if isinstance(items, list) else []
