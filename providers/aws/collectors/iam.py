"""IAM: role trust policies, as ``aws_iam_role.assume_role_policy`` (JSON text).

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


def collect_roles(clients: Clients, account: str, dwp_account: bool) -> list[ResourceRecord]:
    """Every role of the account, with the tags of the externally trusted ones (unless the account is DWP)."""
    roles = fetch_roles(clients, account)
    if not isinstance(roles, list):
        return []  # a failed listing is coverage (recorded by the client)
    wanted = [] if dwp_account else [r["RoleName"] for r in roles if trusts_outside(r, account)]
    return translate_roles(account, roles, fetch_role_tags(clients, account, wanted))
