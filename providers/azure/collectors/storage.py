"""Storage accounts: SKU redundancy (GRS and its kin copy to the paired region) and blob object replication."""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import Work
from providers.azure.ids import parse_id
from providers.azure.records import arm_record
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

_PROVIDER = "Microsoft.Storage"
_POLICY_TYPE = "Microsoft.Storage/storageAccounts/objectReplicationPolicies"


def collect_account(work: Work) -> list[ResourceRecord]:
    """The account (``storage_accounts.get_properties``) and its object replication policies."""
    parsed = parse_id(work.id)
    assert parsed is not None and parsed.resource_group is not None and parsed.name is not None
    group, name = parsed.resource_group, parsed.name
    client = work.calls.clients.get("storage", work.subscription)
    # Resource Graph gave the account whole (its properties): no get_properties needed.
    account = dict(work.listed) if isinstance(work.listed.get("properties"), dict) else work.calls.read(
        work.subscription, _PROVIDER, "storage_accounts.get_properties",
        lambda: client.storage_accounts.get_properties(group, name))
    policies = work.calls.read(work.subscription, _PROVIDER, "object_replication_policies.list",
                               lambda: client.object_replication_policies.list(group, name))
    return transform_account(work.subscription, work.listed, account, policies)


def transform_account(subscription: str, listed: dict[str, Any] | Any, account: Any,
                      policies: Any) -> list[ResourceRecord]:
    """The account's record (the listing's, with its SKU, when the close read failed) and one record per
    object replication policy; a policy listing that failed is a replication whose destination is unknown."""
    source = account if isinstance(account, dict) else listed
    call = "storage_accounts.get_properties" if isinstance(account, dict) else "resources.list"
    records = [arm_record(subscription, {**listed, **source}, call)]
    account_id = str(listed["id"])
    if isinstance(policies, Failed):
        records.append(arm_record(subscription, {
            "id": f"{account_id}/objectReplicationPolicies/(unread)", "type": _POLICY_TYPE, "parent_id": account_id,
            "properties": {"sourceAccount": account_id,
                           "destinationAccount": policies.unknown("the object replication policies")},
        }, "object_replication_policies.list"))
        return records
    for policy in policies or []:
        records.append(arm_record(subscription, {**policy, "type": _POLICY_TYPE, "parent_id": account_id},
                                  "object_replication_policies.list"))
    return records
