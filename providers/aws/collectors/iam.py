"""IAM: role trust policies, as ``aws_iam_role.assume_role_policy`` (JSON text), and the identity policies of
the roles trusted outside the account (``aws_iam_role_policy``, ``aws_iam_role_policy_attachment``,
``aws_iam_policy``): which DWP resources someone elsewhere reaches by assuming them.

``ListRoles`` returns every role's trust policy (1,000 roles a call) but not its tags. Tags decide
whether a role is DWP; they are asked only for roles whose trust policy names someone outside the
account, since only those can make a grant worth judging (a role trusted by its own account or an AWS
service is internal whatever its tags). In an account the config names as DWP every role is DWP and
no tags are asked.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Clients, Failed, Response
from providers.aws.collectors.shapes import policy_text
from providers.aws.records import Scope, live_record, tag_map
from providers.aws.session import HOME_REGION
from providers.semantics.records import ResourceRecord

SERVICE = "iam"
_ACCOUNT = re.compile(r"(?<!\d)(\d{12})(?!\d)")


def fetch_roles(clients: Clients, account: str) -> list[Any] | Failed | None:
    """Every role of the account, with its trust policy."""
    return clients.get(account, HOME_REGION, SERVICE, scope_region="global").pages("list_roles", "Roles",
                                                                                  expect=("RoleName", "Arn"),
                                                                                  MaxItems=1000)


def fetch_role_tags(clients: Clients, account: str, names: list[str]) -> dict[str, Response]:
    """The tags of the roles named."""
    iam = clients.get(account, HOME_REGION, SERVICE, scope_region="global")
    return {name: iam.call("list_role_tags", RoleName=name) for name in names}


def trust_document(role: Mapping[str, Any]) -> Any:
    """The trust policy as a document (boto3 decodes it; the raw API gives URL-encoded JSON text)."""
    document = role.get("AssumeRolePolicyDocument")
    if isinstance(document, str):
        text = urllib.parse.unquote(document)
        try:
            return json.loads(text)
        except ValueError:
            return text
    return document


def trusts_outside(role: Mapping[str, Any], account: str) -> bool:
    """Whether the trust policy names an account other than ``account``, a federation or everyone."""
    document = trust_document(role)
    text = json.dumps(document) if not isinstance(document, str) else document
    if '"Federated"' in text or '"*"' in text:
        return True
    if any(found != account for found in _ACCOUNT.findall(text)):
        return True
    # An AWS principal that is neither an ARN nor an account id (an IAM unique id, a garbled value) could be
    # anyone: its grant is judged unknown, so the role's tags are read like those of any other trusted outside.
    return any(not _ACCOUNT.fullmatch(p) and not p.startswith("arn:") for p in _aws_principals(document))


def _aws_principals(document: Any) -> list[str]:
    """The ``AWS`` principals a trust policy's statements name, as text."""
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    found: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        named = principal.get("AWS") if isinstance(principal, Mapping) else None
        found.extend(str(v) for v in (named if isinstance(named, list) else [named]) if v is not None)
    return found


def translate_roles(account: str, roles: list[Any], tags: Mapping[str, Response]) -> list[ResourceRecord]:
    """Each role as an ``aws_iam_role``; a role whose tags could not be read has unknown tags."""
    scope = Scope(account, "global")
    records = []
    for role in roles:
        name = role["RoleName"]
        answer = tags.get(name)
        role_tags: Any = (answer.unknown(f"the tags of role {name}") if isinstance(answer, Failed)
                          else tag_map((answer or {}).get("Tags") or role.get("Tags")))
        values = {"name": name, "id": name, "unique_id": role.get("RoleId"), "path": role.get("Path"),
                  "assume_role_policy": policy_text(trust_document(role)), "tags": role_tags}
        records.append(live_record(scope, role["Arn"], "aws_iam_role", values, "iam:ListRoles",
                                   region=HOME_REGION, how=(f"iam is global (account {account})",)))
    return records


@dataclass(frozen=True)
class RolePolicies:
    """The identity policies of one role: inline (``ListRolePolicies``, ``GetRolePolicy``) and attached
    (``ListAttachedRolePolicies``); the documents of attached customer managed policies are in ``managed``."""

    role: Mapping[str, Any]
    inline: list[Any] | Failed | None
    """Inline policy names."""
    documents: Mapping[str, Response]
    """Inline policy name -> GetRolePolicy."""
    attached: list[Any] | Failed | None
    """ListAttachedRolePolicies: ``PolicyArn``, ``PolicyName``."""


def _aws_managed(arn: str) -> bool:
    """An AWS managed policy (``arn:aws:iam::aws:policy/...``): the same in every account, naming no account's
    resources, so never read (its ``Resource`` is ``*`` or a service's pattern, which names no DWP resource)."""
    return arn.split(":")[4:5] == ["aws"]


def fetch_role_policies(clients: Clients, account: str, role: Mapping[str, Any]) -> RolePolicies:
    """The inline policies of one role (names, then each document) and the policies attached to it."""
    iam = clients.get(account, HOME_REGION, SERVICE, scope_region="global")
    name = role["RoleName"]
    inline = iam.pages("list_role_policies", "PolicyNames", RoleName=name)
    documents = {policy: iam.call("get_role_policy", expect=("PolicyDocument",), RoleName=name, PolicyName=policy)
                 for policy in (inline if isinstance(inline, list) else [])}
    attached = iam.pages("list_attached_role_policies", "AttachedPolicies", expect=("PolicyArn",), RoleName=name)
    return RolePolicies(role, inline, documents, attached)


def fetch_managed_policies(clients: Clients, account: str, arns: list[str]) -> dict[str, tuple[Response, Response]]:
    """``GetPolicy`` (its default version) and ``GetPolicyVersion`` (the document) of each customer managed policy,
    once per policy however many roles it is attached to."""
    iam = clients.get(account, HOME_REGION, SERVICE, scope_region="global")
    found: dict[str, tuple[Response, Response]] = {}
    for arn in arns:
        policy = iam.call("get_policy", expect=("Policy.DefaultVersionId",), PolicyArn=arn)
        version: Response = None
        if isinstance(policy, Mapping):
            version = iam.call("get_policy_version", expect=("PolicyVersion",), PolicyArn=arn,
                               VersionId=policy["Policy"]["DefaultVersionId"])
        found[arn] = (policy, version if isinstance(policy, Mapping) else policy)
    return found


def translate_role_policies(account: str, policies: RolePolicies) -> list[ResourceRecord]:
    """Inline policies as ``aws_iam_role_policy`` (``role``, ``policy`` as JSON text) and attachments as
    ``aws_iam_role_policy_attachment`` (``role``, ``policy_arn``); a list that could not be read is one policy
    whose document is unknown."""
    scope = Scope(account, "global")
    role = policies.role
    name, arn = role["RoleName"], role["Arn"]
    where = {"region": HOME_REGION, "how": (f"iam is global (account {account})",)}
    records = []
    if isinstance(policies.inline, Failed):
        records.append(live_record(scope, "", "aws_iam_role_policy",
                                   {"role": name, "policy": policies.inline.unknown(f"the inline policies of {name}")},
                                   "iam:ListRolePolicies", address=f"{arn}?policies", stand_in=True, **where))
    for policy, answer in policies.documents.items():
        document: Any = answer.unknown(f"inline policy {policy} of {name}") if isinstance(answer, Failed) else \
            policy_text(_document((answer or {}).get("PolicyDocument")))
        records.append(live_record(scope, "", "aws_iam_role_policy", {"name": policy, "role": name,
                                                                        "policy": document},
                                   "iam:GetRolePolicy", address=f"{arn}?policy={policy}", **where,
                                   fields={"policy": "PolicyDocument"}))
    if isinstance(policies.attached, Failed):
        records.append(live_record(scope, "", "aws_iam_role_policy",
                                   {"role": name,
                                    "policy": policies.attached.unknown(f"the policies attached to {name}")},
                                   "iam:ListAttachedRolePolicies", address=f"{arn}?attached", **where))
    for attached in policies.attached if isinstance(policies.attached, list) else []:
        policy_arn = attached["PolicyArn"]
        records.append(live_record(scope, "", "aws_iam_role_policy_attachment", {"role": name,
                                                                                   "policy_arn": policy_arn},
                                   "iam:ListAttachedRolePolicies", address=f"{arn}?attachment={policy_arn}",
                                   **where, fields={"policy_arn": "AttachedPolicies[].PolicyArn"}))
    return records


def translate_managed_policies(account: str, answers: Mapping[str, tuple[Response, Response]]) -> list[ResourceRecord]:
    """Each customer managed policy as ``aws_iam_policy`` (``policy`` the default version's document)."""
    scope = Scope(account, "global")
    records = []
    for arn, (policy, version) in answers.items():
        name = arn.rsplit("/", 1)[-1]
        failed = version if isinstance(version, Failed) else policy if isinstance(policy, Failed) else None
        document: Any = failed.unknown(f"the document of policy {name}") if failed is not None else policy_text(
            _document(((version or {}).get("PolicyVersion") or {}).get("Document")))
        path = (policy or {}).get("Policy", {}).get("Path") if isinstance(policy, Mapping) else None
        records.append(live_record(scope, arn, "aws_iam_policy", {"name": name, "path": path, "policy": document},
                                   "iam:GetPolicyVersion", region=HOME_REGION,
                                   how=(f"iam is global (account {account})",),
                                   fields={"policy": "PolicyVersion.Document"}))
    return records


def _document(value: Any) -> Any:
    """A policy document as a document (boto3 decodes it; the raw API gives URL-encoded JSON text)."""
    return trust_document({"AssumeRolePolicyDocument": value})


def collect_role_policies(clients: Clients, account: str, roles: list[Any]) -> list[ResourceRecord]:
    """The identity policies of the roles trusted outside the account: what someone elsewhere reaches by assuming
    them. Roles trusted only inside the account or by AWS services grant nothing worth judging, so their policies
    are not read: requests grow with the roles others can assume, not with the account."""
    outside = [r for r in roles if trusts_outside(r, account)]
    answers = [fetch_role_policies(clients, account, role) for role in outside]
    managed = sorted({a["PolicyArn"] for answer in answers if isinstance(answer.attached, list)
                      for a in answer.attached if not _aws_managed(a["PolicyArn"])})
    records = [record for answer in answers for record in translate_role_policies(account, answer)]
    records.extend(translate_managed_policies(account, fetch_managed_policies(clients, account, managed)))
    return records


def collect_roles(clients: Clients, account: str, dwp_account: bool) -> list[ResourceRecord]:
    """Every role of the account, with the tags of the externally trusted ones (unless the account is DWP), and
    the identity policies of those trusted outside it."""
    roles = fetch_roles(clients, account)
    if not isinstance(roles, list):
        return []  # a failed listing is coverage (recorded by the client)
    wanted = [] if dwp_account else [r["RoleName"] for r in roles if trusts_outside(r, account)]
    records = translate_roles(account, roles, fetch_role_tags(clients, account, wanted))
    records.extend(collect_role_policies(clients, account, roles))
    return records
