"""Azure Policy assignments in force on the subscription (its own, and those inherited from management
groups): an "Allowed locations" assignment is a region guardrail."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from providers.azure.calls import Calls
from providers.azure.records import arm_record
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

_GROUP_SCOPE = re.compile(r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/?$")


def collect_policy_assignments(calls: Calls, subscription: str) -> tuple[list[ResourceRecord], bool]:
    """Every policy assignment that applies to the subscription, and whether they were read (a failure of another
    call of Microsoft.Authorization, the role assignments, says nothing about them)."""
    client = calls.clients.get("policy", subscription)
    answer = calls.read(subscription, "Microsoft.Authorization", "policy_assignments.list",
                        lambda: client.policy_assignments.list())
    return transform_policy_assignments(subscription, answer), not isinstance(answer, Failed)


def transform_policy_assignments(subscription: str, answer: Any) -> list[ResourceRecord]:
    """One ``azurerm_policy_assignment`` per assignment (the guardrail rules read its definition, parameters,
    enforcement mode and excluded scopes)."""
    if isinstance(answer, Failed) or answer is None:
        return []
    records = []
    for assignment in answer:
        if not isinstance(assignment.get("id"), str):
            continue
        # The subscription whose listing holds the assignment is one it applies to (its own scope, or one under the
        # management group it is assigned to): the guardrail governs those subscriptions, not every one scanned.
        record = arm_record(subscription, {**assignment, "type": "Microsoft.Authorization/policyAssignments",
                                           "parent_id": (assignment.get("properties") or {}).get("scope")},
                            "policy_assignments.list", extra={"applies_to": (subscription,)})
        if _GROUP_SCOPE.match(str((assignment.get("properties") or {}).get("scope", ""))):
            # An assignment on one resource group guards that group only: the schema has a type for that.
            record = replace(record, type="azurerm_resource_group_policy_assignment")
        records.append(record)
    return records
