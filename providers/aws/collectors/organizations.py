"""Organizations: the service control policies attached on each scanned account's path (the account, its
OUs, the root), as ``aws_organizations_policy`` and ``aws_organizations_policy_attachment`` records for the
region-deny guardrail, and the path itself as ``aws_organizations_account`` and
``aws_organizations_organizational_unit`` records (``parent_id``), so the shared meaning can tell which
accounts an SCP attached to an OU governs."""

from __future__ import annotations

import re
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
_ORGANISATION_ID = re.compile(r":account/(o-[a-z0-9]+)/")


@dataclass(frozen=True)
class PolicyResponses:
    """What the organisation says about the scanned accounts' paths."""

    parents: Mapping[str, list[Any] | Failed | None]
    """Child (account or OU id) -> ListParents, for every step of every scanned account's path."""
    attached: Mapping[str, list[Any] | Failed | None]
    """Target (account, OU or root id) -> the SCPs attached to it."""
    policies: Mapping[str, Response]
    """Policy id -> DescribePolicy."""


def _path(org: ScopedClient, account: str, parents: dict[str, list[Any] | Failed | None]) -> list[str]:
    targets, child = [account], account
    for _ in range(_MAX_DEPTH):
        if child not in parents:
            # Accounts of one OU share its path above them: each step is asked once.
            parents[child] = org.pages("list_parents", "Parents", expect=("Id",), ChildId=child)
        found = parents[child]
        if not isinstance(found, list) or not found:
            break  # a failed ListParents is coverage (and an unknown parent below), never a shorter path
        child = found[0]["Id"]
        targets.append(child)
        if found[0].get("Type") == "ROOT":
            break
    return targets


def fetch_policies(clients: Clients, caller: str, accounts: Iterable[str]) -> PolicyResponses:
    """The path of each account and the SCPs on it, each parent asked and each policy described once."""
    org = clients.get(caller, HOME_REGION, SERVICE, scope_region="global")
    parents: dict[str, list[Any] | Failed | None] = {}
    targets: dict[str, None] = {}
    for account in accounts:
        targets.update(dict.fromkeys(_path(org, account, parents)))
    attached = {t: org.pages("list_policies_for_target", "Policies", expect=("Id",), TargetId=t,
                             Filter="SERVICE_CONTROL_POLICY")
                for t in targets}
    ids = {p["Id"] for found in attached.values() if isinstance(found, list) for p in found}
    return PolicyResponses(parents, attached, {i: org.call("describe_policy", expect=("Policy",), PolicyId=i)
                                               for i in sorted(ids)})


def translate_policies(caller: str, answers: PolicyResponses,
                       listed: Iterable[Mapping[str, Any]] = ()) -> list[ResourceRecord]:
    """Each SCP with its content, each attachment to a target on a scanned account's path, and each account
    and OU on those paths with its ``parent_id``. ``listed`` is ListAccounts' answer (for names and ARNs)."""
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
    records.extend(_structure(scope, answers.parents, listed))
    return records


def _structure(scope: Scope, parents: Mapping[str, list[Any] | Failed | None],
               listed: Iterable[Mapping[str, Any]]) -> list[ResourceRecord]:
    """Accounts and OUs with their parents: the shape ``aws_organizations_account.parent_id`` has in Terraform."""
    by_id = {str(a["Id"]): a for a in listed}
    organisation = next((m.group(1) for a in by_id.values() if (m := _ORGANISATION_ID.search(str(a.get("Arn"))))),
                        None)
    records = []
    for child, found in parents.items():
        if isinstance(found, Failed):
            parent: Any = found.unknown(f"the parent of {child} in the organisation")
        elif found:
            parent = found[0]["Id"]
        else:
            continue
        if child.isdigit():
            account = by_id.get(child, {})
            arn = str(account.get("Arn") or f"arn:aws:organizations::{scope.account}:account/"
                      f"{organisation or 'o-unknown'}/{child}")
            values = {"id": child, "parent_id": parent, "name": account.get("Name"), "email": account.get("Email")}
            records.append(live_record(scope, arn, "aws_organizations_account", values,
                                       "organizations:ListParents", region=HOME_REGION))
        else:
            arn = f"arn:aws:organizations::{scope.account}:ou/{organisation or 'o-unknown'}/{child}"
            records.append(live_record(scope, arn, "aws_organizations_organizational_unit",
                                       {"id": child, "parent_id": parent}, "organizations:ListParents",
                                       region=HOME_REGION))
    return records


def unread_policies(answers: PolicyResponses) -> list[str]:
    """The calls whose failure leaves an account's SCPs unknown (a path, the policies on a target, a policy's
    content), in words: a missing answer is never an empty one, so the guardrail question stays open."""
    failed = [(f"ListParents {child}", found) for child, found in answers.parents.items()]
    failed += [(f"ListPoliciesForTarget {target}", found) for target, found in answers.attached.items()]
    failed += [(f"DescribePolicy {policy}", found) for policy, found in answers.policies.items()]
    return [f"{what}: {found.status.value} ({found.detail})" for what, found in failed if isinstance(found, Failed)]


def collect_guardrails(clients: Clients, caller: str, accounts: Iterable[str],
                       listed: Iterable[Mapping[str, Any]] = ()) -> tuple[list[ResourceRecord], list[str]]:
    """The organisation's SCPs on the scanned accounts' paths, the paths, and the calls that could not be read."""
    answers = fetch_policies(clients, caller, accounts)
    return translate_policies(caller, answers, listed), unread_policies(answers)

