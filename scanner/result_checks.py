"""What a result's fields must agree on, beyond their types: the checks a hand-edited result fails.

The JSON reporter writes a location's country and UK verdict from the region catalogue, a grant's ``uk`` from its
country, an AWS account as twelve digits and a shard inside its audit. A result that says otherwise was edited (or
written by something else), and judging it would give an answer that contradicts the catalogue the scanner itself
uses: it is refused naming the field. Pure functions over the raw (already shape-checked) document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from providers.semantics.geography import UK, place_region

_AWS_ACCOUNT = re.compile(r"[0-9]{12}")
_AWS_ORGANISATION = re.compile(r"o-[a-z0-9]{10,32}")
_CATALOGUED = ("aws", "azure", "gcp")
MAX_SHARDS = 100_000
"""As ``offshore-scan aws --shard K/N`` allows."""
MAX_ACCOUNTS = 100_000
"""Accounts of one audit: AWS Organizations' own ceiling is far below."""


def contradiction(document: Mapping[str, Any]) -> str | None:
    """The first field of a shape-checked result that contradicts another or the catalogue, or None."""
    for check in (_locations, _grants, _guardrails, _accounts, _audit, _objects, _ids):
        found = next(check(document), None)
        if found is not None:
            return found
    return None


def _locations(document: Mapping[str, Any]) -> Iterator[str]:
    inventory = document["inventory"]
    for index, resource in enumerate(inventory["resources"]):
        yield from _location(resource["location"], f"inventory.resources[{index}].location")
    for index, flow in enumerate(inventory["flows"]):
        yield from _location(flow["target"], f"inventory.flows[{index}].target")


def _location(location: Mapping[str, Any], where: str) -> Iterator[str]:
    cloud, region, country, uk = location["cloud"], location["region"], location["country"], location["uk"]
    if (uk is True) != (country == UK):
        yield f"{where} says uk {_json(uk)} with country {_json(country)}: only GB is the UK"
        return
    if cloud in _CATALOGUED and region is not None:
        place = place_region(cloud, region)
        if place.known and place.region == region and (place.country, place.uk) != (country, uk):
            yield (f"{where} puts {cloud} {region} in {_json(country)}; the region catalogue puts it in "
                   f"{_json(place.country)}")


def _grants(document: Mapping[str, Any]) -> Iterator[str]:
    for index, grant in enumerate(document["inventory"]["grants"]):
        expected = False if grant["public"] else None if grant["country"] is None else grant["country"] == UK
        if grant["uk"] is not expected:
            yield (f"inventory.grants[{index}].uk is {_json(grant['uk'])}, but its country {_json(grant['country'])}"
                   f"{' and public access' if grant['public'] else ''} make it {_json(expected)}")


def _guardrails(document: Mapping[str, Any]) -> Iterator[str]:
    for index, guardrail in enumerate(document["guardrails"]):
        where = f"guardrails[{index}]"
        if guardrail["read"] != (guardrail["uk_only"] is not None):
            yield f"{where}.uk_only is {_json(guardrail['uk_only'])} with read {_json(guardrail['read'])}"
        cloud = "aws" if guardrail["kind"] == "aws-scp-region-deny" else "azure"
        if guardrail["uk_only"]:
            outside = [r for r in guardrail["regions"] if not place_region(cloud, r).uk]
            if outside:
                yield f"{where}.uk_only is true, but it allows {outside[0]!r:.60}, outside the UK"


def _accounts(document: Mapping[str, Any]) -> Iterator[str]:
    """AWS accounts are twelve-digit strings wherever a result names one."""
    for index, resource in enumerate(document["inventory"]["resources"]):
        if resource["deployed_to"] == "aws" and resource["account"] is not None:
            yield from _aws_account(resource["account"], f"inventory.resources[{index}].account")
    for index, scope in enumerate(document.get("scopes", ())):
        if not scope["service"].startswith("Microsoft."):  # Azure scopes are subscriptions, AWS ones accounts
            yield from _aws_account(scope["account"], f"scopes[{index}].account")
    for index, guardrail in enumerate(document["guardrails"]):
        if guardrail["kind"] == "aws-scp-region-deny":
            yield from _aws_accounts(guardrail["accounts"] or (), f"guardrails[{index}].accounts")


def _audit(document: Mapping[str, Any]) -> Iterator[str]:
    """An audit is an AWS organisation or account list; its shard is one of at most ``MAX_SHARDS`` inside it."""
    audit = document.get("audit")
    if audit is None:
        return
    organisation = audit["organisation"]
    if organisation is not None and not _AWS_ORGANISATION.fullmatch(organisation):
        yield f"audit.organisation is {organisation!r:.60}, not an AWS organisation id (o-...)"
    if len(audit["accounts"]) > MAX_ACCOUNTS:
        yield f"audit.accounts lists {len(audit['accounts']):,} accounts, over the {MAX_ACCOUNTS:,} an audit holds"
    yield from _aws_accounts(audit["accounts"], "audit.accounts")
    yield from _once(audit["regions"] or (), "audit.regions")
    shard = audit["shard"]
    if shard is None:
        return
    if shard["count"] > MAX_SHARDS:
        yield f"audit.shard.count is {shard['count']:,}, over the {MAX_SHARDS:,} shards --shard allows"
    elif shard["index"] >= shard["count"]:
        yield f"audit.shard.index is {shard['index']}, not below its count {shard['count']}"
    yield from _aws_accounts(shard["accounts"], "audit.shard.accounts")
    audited = set(audit["accounts"])
    for index, account in enumerate(shard["accounts"]):
        if account not in audited:
            yield f"audit.shard.accounts[{index}] {account!r:.20} is not one of the audit's accounts"


def _objects(document: Mapping[str, Any]) -> Iterator[str]:
    """A resource's ``object`` is its id, or for a part the object it belongs to (as findings name it)."""
    for index, resource in enumerate(document["inventory"]["resources"]):
        expected = resource["source"]["address"] if resource["part"] else resource["id"]
        if resource["object"] != expected:
            yield f"inventory.resources[{index}].object is {resource['object']!r:.60}, not {expected!r:.60}"


def _ids(document: Mapping[str, Any]) -> Iterator[str]:
    """A resource id is one resource: two entries of one id that say different things were not written by the
    scanner, and keeping either would silently judge something the other denies (identical entries are one)."""
    seen: dict[str, tuple[int, Any]] = {}
    for index, resource in enumerate(document["inventory"]["resources"]):
        first = seen.setdefault(resource["id"], (index, resource))
        if first[1] != resource:
            yield (f"inventory.resources[{index}].id {resource['id']!r:.60} is also inventory.resources[{first[0]}]'s,"
                   " which says otherwise")


def _aws_accounts(accounts: Sequence[str], where: str) -> Iterator[str]:
    for index, account in enumerate(accounts):
        yield from _aws_account(account, f"{where}[{index}]")
    yield from _once(accounts, where)


def _aws_account(account: str, where: str) -> Iterator[str]:
    if not _AWS_ACCOUNT.fullmatch(account):
        yield f"{where} is {account!r:.40}, not a 12-digit AWS account id"


def _once(values: Sequence[str], where: str) -> Iterator[str]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield f"{where}[{index}] {value!r:.40} is listed twice"
        seen.add(value)


def _json(value: Any) -> str:
    return "null" if value is None else "true" if value is True else "false" if value is False else repr(value)
