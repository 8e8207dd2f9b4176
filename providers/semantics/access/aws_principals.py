"""Who an AWS principal is: an account id, an IAM ARN, an organisation, or an OIDC/SAML identity provider.

Internal when it is an identity this configuration creates or looks up in its own account, the
resource's own account, an account of the estate, or one the config lists as DWP; else placed by the
estate map, or not placed (an unknown).
"""

from __future__ import annotations

import re
from typing import Any

from providers.semantics.access.common import PUBLIC, Who, referenced_principal, shown
from providers.semantics.context import NormaliseContext
from providers.semantics.policy_documents import Statement
from providers.semantics.records import ResourceRecord, Unknown

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:[^:]*:[^:]*:(\d{12}):")
_ORG_ID = re.compile(r"\bo-[a-z0-9]{10,32}\b")
_EKS_ISSUER = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/")


def aws_principal(context: NormaliseContext, subject: ResourceRecord, value: Any) -> Who:
    """An account id, an IAM ARN, or a reference to an identity."""
    if isinstance(value, Unknown):
        own = context.own_inputs.get(value.reason)
        if own is not None and value.ref is None:
            # Built from the very input that names the account the estate deploys to.
            return Who(shown(value), internal=True, note=f"the estate's own account: {own} ({value.reason})")
        return referenced_principal(context, value)
    text = str(value)
    if text == "*":
        return Who("*", party=PUBLIC)
    account = text if _ACCOUNT_ID.match(text) else account_of(text)
    if account is not None and account in context.rules.dwp_scopes:
        return Who(text, internal=True, note=f"account {account} is listed as DWP in the config (dwp.accounts)")
    if account is not None and own_account(context, subject, account):
        return Who(text, internal=True, note=f"account {account} is {subject.address}'s own")
    if account is not None and account in context.own_accounts:
        return Who(text, internal=True, note=f"account {account} is the estate's own: {context.own_accounts[account]}")
    party = context.estate.principal(text) or (context.estate.account(account) if account else None)
    if account is None and party is None and not text.startswith("arn:"):
        # Not an ARN, an account id, a service or "*": an IAM unique id (AIDA..., AROA...: what AWS shows once the
        # principal it named is deleted, and what a new one of the same name is not) or a garbled value.
        return Who(text, note=f"{text!r} is not an ARN, an account id, a service or \"*\" (an IAM unique id of a "
                              "deleted principal, or a garbled value): who it is is not known")
    return Who(text, party=party)


def org_principal(context: NormaliseContext, value: Any) -> Who:
    """An AWS Organizations id, org path, or organisation/OU ARN."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    text = str(value)
    match = _ORG_ID.search(text)
    org = match.group(0) if match else text
    if text in context.rules.dwp_scopes or org in context.rules.dwp_scopes:
        return Who(text, internal=True, note=f"organisation {org} is listed as DWP in the config")
    party = context.estate.principal(text) or context.estate.account(text) or context.estate.account(org)
    return Who(text, party=party, note=None if party else f"organisation {org}")


def federated_principal(context: NormaliseContext, value: Any, statement: Statement) -> Who:
    """An OIDC or SAML identity provider, placed by its issuer; the ``sub`` condition says which workloads."""
    issuer: str | None = None
    shown_value = shown(value)
    via = ""
    provider = context.referenced(value) if isinstance(value, Unknown) else None
    if provider is not None and provider.type == "aws_iam_openid_connect_provider":
        url = provider.values.get("url")
        if isinstance(url, Unknown) and url.ref:
            # An EKS cluster's own issuer: its service accounts, which this configuration creates.
            return Who(shown_value, internal=True, note=f"OIDC issuer of {url.ref}")
        issuer = url if isinstance(url, str) else None
        via = provider.address
    elif provider is not None:
        return referenced_principal(context, value)
    elif isinstance(value, str):
        issuer = value.split("oidc-provider/", 1)[1] if "oidc-provider/" in value else value
    if issuer is None:
        return Who(shown_value, note="the identity provider could not be read")
    issuer = issuer.removeprefix("https://").rstrip("/")
    if _EKS_ISSUER.match(issuer):
        return Who(issuer, internal=True, note="OIDC issuer of an EKS cluster")
    party = context.estate.principal(issuer) or (context.estate.principal(value) if isinstance(value, str) else None)
    return Who(issuer, party=party, note=f"federated through {via or issuer}{subject_note(issuer, statement)}")


def subject_note(issuer: str, statement: Statement) -> str:
    """The workloads an OIDC trust admits, from its ``sub`` condition (a GitHub repository, a GitLab project)."""
    values = [shown(v) for c in statement.conditions_ending(":sub") for v in c.values]
    if not values:
        return f"; no {issuer}:sub condition, so any workload the issuer signs for can assume it"
    return f" for {'repository' if 'github' in issuer else 'subject'} {', '.join(values)}"


def own_account(context: NormaliseContext, subject: ResourceRecord, account: str | None) -> bool:
    """Whether an account is listed as DWP or is the one the subject is deployed in."""
    return account is not None and (account in context.rules.dwp_scopes or context.scope_of(subject) == account)


def account_of(arn: str) -> str | None:
    """The account field of an ARN, if it has one."""
    match = _ARN_ACCOUNT.match(arn)
    return match.group(1) if match else None
