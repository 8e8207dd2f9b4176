"""Organizations: the service control policies attached on each scanned account's path (the account, its
OUs, the root), as ``aws_organizations_policy`` and ``aws_organizations_policy_attachment`` records for the
region-deny guardrail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Clients, Failed, Response, ScopedClient
from providers.aws.records import Scope, live_record
from providers.aws.session import HOME_REGION
from providers.semantics.records import ResourceRecord

SERVICE = "organizations"
_MAX_DEPTH = 6
"""Organizations nest OUs at most five deep under the root."""


@dataclass(frozen=True)
class PolicyResponses:
    """What the organisation says about the scanned accounts' paths."""

    attached: Mapping[str, list[Any] | Failed | None]
    """Target (account, OU or root id) -> the SCPs attached to it."""
    policies: Mapping[str, Response]
    """Policy id -> DescribePolicy."""


def _path(org: ScopedClient, account: str) -> list[str]:
    targets, child = [account], account
    for _ in range(_MAX_DEPTH):
        parents = org.pages("list_parents", "Parents", ChildId=child)
        if not isinstance(parents, list) or not parents:
            break
        child = parents[0]["Id"]
        targets.append(child)
        if parents[0].get("Type") == "ROOT":
            break
    return targets


def fetch_policies(clients: Clients, caller: str, accounts: Iterable[str]) -> PolicyResponses:
    """The SCPs on each account's path, each policy described once."""
    org = clients.get(caller, HOME_REGION, SERVICE, scope_region="global")
    targets: dict[str, None] = {}
    for account in accounts:
        targets.update(dict.fromkeys(_path(org, account)))
    attached = {t: org.pages("list_policies_for_target", "Policies", TargetId=t, Filter="SERVICE_CONTROL_POLICY")
                for t in targets}
    ids = {p["Id"] for found in attached.values() if isinstance(found, list) for p in found}
    return PolicyResponses(attached, {i: org.call("describe_policy", PolicyId=i) for i in sorted(ids)})


def translate_policies(caller: str, answers: PolicyResponses) -> list[ResourceRecord]:
    """Each SCP with its content, and each attachment to a target on a scanned account's path."""
    scope = Scope(caller, "global")
    records = []
    for policy_id, answer in answers.policies.items():
        if not isinstance(answer, Mapping):
            continue
        policy = answer["Policy"]
        summary = policy.get("PolicySummary") or {}
        values: dict[str, Any] = {"id": policy_id, "name": summary.get("Name"), "type": summary.get("Type"),
                                  "content": policy.get("Content")}
        records.append(live_record(scope, summary.get("Arn") or policy_id, "aws_organizations_policy", values,
                                   "organizations:DescribePolicy", region=HOME_REGION))
    for target, found in answers.attached.items():
        for item in found if isinstance(found, list) else []:
            records.append(live_record(scope, "", "aws_organizations_policy_attachment",
                                       {"policy_id": item["Id"], "target_id": target},
                                       "organizations:ListPoliciesForTarget", address=f"{item['Id']}?target={target}",
                                       region=HOME_REGION))
    return records


def collect_guardrails(clients: Clients, caller: str, accounts: Iterable[str]) -> list[ResourceRecord]:
    """The organisation's SCPs on the scanned accounts' paths."""
    return translate_policies(caller, fetch_policies(clients, caller, accounts))
