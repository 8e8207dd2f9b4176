"""Access: principals of other accounts, tenants and organisations that can reach a resource.

Hook used by ``normalise``: ``grants`` reads trust policies, resource policies, role assignments and
delegated-management definitions, and places each principal through the estate map.

A principal is *internal* (listed, never a finding) when it is inside the estate: an AWS service, an
identity this configuration creates or looks up in its own account or tenant, the resource's own
account, or an account/subscription the config lists as DWP. Anything else is placed by
``context.estate`` (the user's map plus the built-in vendor accounts and OIDC issuers); what it does
not place keeps country None, which the access policy reports as unknown. The resource a grant is
against is the one reached: the role or resource the policy belongs to, and also the DWP resources a
role's attached policies name, that a KMS key encrypts, that a RAM share holds, or that an Azure
scope contains.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from providers.semantics.context import CLOUD_OF_PREFIX, NormaliseContext, first, values_at
from providers.semantics.policy_documents import Condition, PolicyDocument, Principal, Statement, read_policy
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.resource_map import holds_data
from scanner.estate import Party
from scanner.model import Grant

Target = tuple[str, str]
"""(address of the resource reached, how it is reached)."""

PUBLIC = Party("anyone (public)", None, "policy document",
               "Principal \"*\" with no condition narrowing it to an account, organisation or network")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:[^:]*:[^:]*:(\d{12}):")
_ORG_ID = re.compile(r"\bo-[a-z0-9]{10,32}\b")
_EKS_ISSUER = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/")

# Data sources that answer from the configuration's own account or tenant: what they name is the estate's.
_OWN_DATA = {
    "aws_caller_identity": "the account this configuration deploys to",
    "aws_iam_role": "an existing role of the account this configuration deploys to",
    "aws_iam_user": "an existing user of the account this configuration deploys to",
    "aws_iam_group": "an existing group of the account this configuration deploys to",
    "aws_iam_session_context": "the identity running Terraform",
    "aws_organizations_organization": "the organisation this configuration deploys to",
    "aws_organizations_organizational_unit": "an organisational unit of this configuration's organisation",
    "azurerm_client_config": "the identity and tenant running Terraform",
    "azuread_client_config": "the identity and tenant running Terraform",
    "azurerm_subscription": "the subscription this configuration deploys to",
    "azurerm_user_assigned_identity": "an existing managed identity of this configuration's subscription",
    "azuread_group": "an existing group of this configuration's own tenant",
}

# Resource policies: type -> (attribute naming the resource, or None for the record itself; policy attribute; words).
RESOURCE_POLICIES: dict[str, tuple[str | None, str, str]] = {
    "aws_s3_bucket_policy": ("bucket", "policy", "bucket policy"),
    "aws_s3_bucket": (None, "policy", "bucket policy (inline) of"),
    "aws_kms_key": (None, "policy", "key policy of"),
    "aws_kms_key_policy": ("key_id", "policy", "key policy"),
    "aws_cloudwatch_log_destination_policy": ("destination_name", "access_policy", "log destination policy"),
    "aws_sqs_queue_policy": ("queue_url", "policy", "queue policy"),
    "aws_sqs_queue": (None, "policy", "queue policy (inline) of"),
    "aws_sns_topic_policy": ("arn", "policy", "topic policy"),
    "aws_sns_topic": (None, "policy", "topic policy (inline) of"),
    "aws_ecr_repository_policy": ("repository", "policy", "repository policy"),
    "aws_secretsmanager_secret_policy": ("secret_arn", "policy", "secret policy"),
    "aws_secretsmanager_secret": (None, "policy", "secret policy (inline) of"),
    "aws_backup_vault_policy": ("backup_vault_name", "policy", "backup vault policy"),
    "aws_efs_file_system_policy": ("file_system_id", "policy", "file system policy"),
    "aws_dynamodb_resource_policy": ("resource_arn", "policy", "resource policy"),
    "aws_opensearch_domain_policy": ("domain_name", "access_policies", "domain access policy"),
    "aws_glacier_vault": (None, "access_policy", "vault access policy of"),
}

# Condition keys that narrow "Principal": "*" to one party, most specific first, and how each value is placed.
_RESTRICTING = (
    ("aws:PrincipalArn", "arn"),
    ("aws:SourceArn", "arn"),
    ("aws:PrincipalAccount", "arn"),
    ("aws:SourceAccount", "arn"),
    ("aws:SourceOwner", "arn"),
    ("aws:PrincipalOrgID", "org"),
    ("aws:SourceOrgID", "org"),
    ("aws:PrincipalOrgPaths", "org"),
    ("aws:SourceVpce", "network"),
    ("aws:SourceVpc", "network"),
    ("aws:SourceIp", "network"),
    ("aws:VpcSourceIp", "network"),
)


@dataclass(frozen=True)
class Who:
    """A principal as judged: internal, placed by the estate map, or not placed."""

    principal: str
    """The identifier as written (an account id, an ARN, ``aws_iam_role.x.arn``, an issuer)."""
    internal: bool = False
    party: Party | None = None
    note: str | None = None
    """How the principal was judged, for the grant's description."""
    readable: bool = True
    """False when the policy could not be read, so who it names is not known."""

    def grant(self, resource_id: str, description: str, record: ResourceRecord) -> Grant:
        """The grant of this principal to one resource."""
        notes = [n for n in (self.note, _vendor_note(self.party)) if n]
        return Grant(
            resource_id=resource_id,
            principal=self.principal,
            country=None if self.internal or self.party is None else self.party.country,
            description="; ".join((description, *notes)),
            source=record.source,
            owner=self.party.owner if self.party else None,
            internal=self.internal,
            readable=self.readable,
            public=self.party is PUBLIC and not self.internal,
        )


def grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """The grants one record declares."""
    if record.mode != "managed":
        # Data sources (policy documents, lookups) are read where a managed resource refers to them.
        return iter(())
    handler = _HANDLERS.get(record.type)
    if handler is None and record.type in RESOURCE_POLICIES:
        handler = resource_policy_grants
    if handler is None:
        return iter(())
    # Outside the UK first, then not placed: of several grants on one resource, the report may keep only one.
    return iter(sorted(_distinct(handler(context, record)), key=_severity_order))


# --- AWS: trust policies ---------------------------------------------------------------------------


def role_grants(context: NormaliseContext, role: ResourceRecord) -> Iterator[Grant]:
    """Who can assume a role: against the role, and against each DWP resource its policies reach."""
    document = Index.of(context).document(role.values.get("assume_role_policy"))
    targets = [(role.address, f"trust policy of {role.address}")]
    for reached, via in role_reach(context, role):
        targets.append((reached.address, f"{via}; can assume {role.address} under its trust policy"))
    yield from document_grants(context, role, role, document, targets)


def role_reach(context: NormaliseContext, role: ResourceRecord) -> list[tuple[ResourceRecord, str]]:
    """DWP resources a role can reach: named by its policies' ``Resource``, or naming the role in their own policy."""
    index = Index.of(context)
    reached: dict[str, tuple[ResourceRecord, str]] = {}
    for via, value in index.attached.get(role.address, []):
        for statement in index.document(value).statements:
            if not statement.allows:
                continue
            for named in statement.resources:
                target = resource_named(context, named)
                if target is not None and target is not role and is_dwp(context, target):
                    reached.setdefault(target.address, (target, f"policy {via} of {role.address} names this resource"))
    for record in index.naming.get(role.address, []):
        for address, _ in policy_targets(context, record):
            target = context.by_address.get(address)
            if target is not None and is_dwp(context, target):
                reached.setdefault(address, (target, f"{record.address} names {role.address}"))
    return list(reached.values())


class Index:
    """What access needs across all records of one scan, computed once: per-record scans would be quadratic."""

    @classmethod
    def of(cls, context: NormaliseContext) -> Index:
        """The index of a context, built on first use."""
        return context.memo("access", cls)

    def __init__(self, context: NormaliseContext) -> None:
        self.context = context
        self._documents: dict[int, tuple[Any, PolicyDocument]] = {}
        managed = [r for r in context.records if r.mode == "managed"]
        self.roles_by_name = {r.values["name"]: r for r in managed
                              if r.type == "aws_iam_role" and isinstance(r.values.get("name"), str)}
        self.attached: dict[str, list[tuple[str, Any]]] = {}
        """Role address -> (where from, policy value) of every identity policy attached to it here."""
        self.naming: dict[str, list[ResourceRecord]] = {}
        """Role address -> resource-policy records whose Allow statements name the role."""
        self.encrypted: dict[str, dict[str, tuple[ResourceRecord, str]]] = {}
        """KMS key address -> DWP resources encrypted with it (any ``*kms*`` attribute naming it or its alias)."""
        self.separately: set[str] = set()
        """Resources whose policy a separate resource manages (``aws_s3_bucket_policy`` for a bucket)."""
        for record in managed:
            self._attachments(record)
            self._encryption(record)
            if record.type in RESOURCE_POLICIES:
                self._naming(record)
                subject_path = RESOURCE_POLICIES[record.type][0]
                subject = context.referenced(first(values_at(record.values, subject_path))) if subject_path else None
                if subject is not None:
                    self.separately.add(subject.address)

    @functools.cached_property
    def azure_dwp(self) -> list[ResourceRecord]:
        """Every DWP Azure resource in the scan that holds data (a role or policy assignment in a wholly DWP
        subscription is configuration: a grant reaches the data, not the assignment)."""
        return [r for r in self.context.records
                if r.mode == "managed" and r.type.startswith("azurerm_") and holds_data(r.type)
                and is_dwp(self.context, r)]

    def document(self, value: Any) -> PolicyDocument:
        """A policy value read with the scan's data sources (cached: the same document is read for many roles)."""
        cached = self._documents.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        document = read_document(self.context, value)
        self._documents[id(value)] = (value, document)
        return document

    def role_named(self, value: Any, owner: ResourceRecord | None = None) -> ResourceRecord | None:
        """The role of this configuration a value (a reference, a name, an own-account ARN) names."""
        if isinstance(value, Unknown):
            record = self.context.by_address.get(value.ref) if value.ref else None
            return record if record is not None and record.type == "aws_iam_role" else None
        if not isinstance(value, str) or not value:
            return None
        if not value.startswith("arn:"):
            return self.roles_by_name.get(value)
        role = self.roles_by_name.get(value.rsplit("/", 1)[-1]) if ":role/" in value else None
        account = _account_of(value)
        if role is None or not _own_account(self.context, owner or role, account):
            return None
        return role

    def _attach(self, role: ResourceRecord | None, via: str, value: Any) -> None:
        if role is not None:
            self.attached.setdefault(role.address, []).append((via, value))

    def _attachments(self, record: ResourceRecord) -> None:
        context = self.context
        if record.type == "aws_iam_role":
            for block in _listed(record.values.get("inline_policy")):
                if isinstance(block, dict):
                    self._attach(record, f"inline policy of {record.address}", block.get("policy"))
            for arn in _listed(record.values.get("managed_policy_arns")):
                policy = context.referenced(arn)
                if policy is not None and policy.type == "aws_iam_policy":
                    self._attach(record, policy.address, policy.values.get("policy"))
        elif record.type == "aws_iam_role_policy":
            self._attach(self.role_named(record.values.get("role")), record.address, record.values.get("policy"))
        elif record.type in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            policy = context.referenced(record.values.get("policy_arn"))
            if policy is None or policy.type != "aws_iam_policy":
                return
            roles = [record.values.get("role")] if "role" in record.values else _listed(record.values.get("roles"))
            for role in roles:
                self._attach(self.role_named(role), f"{policy.address} (attached by {record.address})",
                             policy.values.get("policy"))

    def _naming(self, record: ResourceRecord) -> None:
        _, attribute, _ = RESOURCE_POLICIES[record.type]
        named: set[str] = set()
        for statement in self.document(record.values.get(attribute)).statements:
            if statement.allows:
                for principal in statement.principals:
                    role = self.role_named(principal.value, record)
                    if role is not None and role.address not in named:
                        named.add(role.address)
                        self.naming.setdefault(role.address, []).append(record)

    def _encryption(self, record: ResourceRecord) -> None:
        context = self.context
        for path, value in _kms_values(record.values, ""):
            key = context.referenced(value)
            if key is not None and key.type == "aws_kms_alias":
                key = context.referenced(key.values.get("target_key_id"))
            if key is None or key is record or key.type != "aws_kms_key":
                continue
            subject = record
            if record.type.startswith("aws_s3_bucket_") and "bucket" in record.values:
                # A separate S3 encryption configuration: the bucket is what is encrypted.
                subject = context.referenced(record.values.get("bucket")) or record
            if is_dwp(context, subject):
                via = f"{path.rsplit('.', 1)[-1]} of {record.address}"
                self.encrypted.setdefault(key.address, {}).setdefault(subject.address, (subject, via))


# --- AWS: resource policies ------------------------------------------------------------------------


def resource_policy_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """Principals of a resource policy (bucket, key, queue, ...) against the resource and what it guards."""
    subject_path, attribute, _ = RESOURCE_POLICIES[record.type]
    if subject_path is None and record.address in Index.of(context).separately:
        # A separate policy resource manages this one (a plan may still show its text inline): read it once.
        return
    targets = policy_targets(context, record)
    subject = context.by_address.get(targets[0][0], record)
    document = Index.of(context).document(record.values.get(attribute))
    yield from document_grants(context, record, subject, document, targets)


def policy_targets(context: NormaliseContext, record: ResourceRecord) -> list[Target]:
    """What a resource policy guards: its resource and, for a KMS key, the DWP resources the key encrypts."""
    subject_path, _, words = RESOURCE_POLICIES[record.type]
    subject = record
    if subject_path is not None:
        subject = context.referenced(first(values_at(record.values, subject_path))) or record
    what = f"{words} {subject.address}" if subject is record else f"{words} {record.address}"
    targets = [(subject.address, what)]
    if subject.type == "aws_kms_key":
        targets.extend(
            (encrypted.address, f"{what}; {subject.address} encrypts this resource ({via})")
            for encrypted, via in encrypted_with(context, subject)
        )
    return targets




def encrypted_with(context: NormaliseContext, key: ResourceRecord) -> list[tuple[ResourceRecord, str]]:
    """DWP resources encrypted with a key: any ``*kms*`` attribute naming the key (directly or by an alias)."""
    return list(Index.of(context).encrypted.get(key.address, {}).values())


def kms_grant_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``aws_kms_grant``: the grantee can use the key, so it reaches what the key encrypts."""
    key = context.referenced(record.values.get("key_id"))
    statement = Statement(principals=(Principal("AWS", record.values.get("grantee_principal")),))
    targets: list[Target] = [(record.address, f"KMS grant {record.address}")]
    if key is not None:
        what = f"KMS grant {record.address} on {key.address}"
        targets = [(key.address, what)]
        targets.extend(
            (e.address, f"{what}; the key encrypts this resource ({via})") for e, via in encrypted_with(context, key)
        )
    yield from document_grants(context, record, key or record, PolicyDocument((statement,)), targets)


def lambda_permission_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``aws_lambda_permission``: who may invoke the function (a service, an account, or anyone)."""
    function = lambda_function(context, record.values.get("function_name")) or record
    principal = record.values.get("principal")
    service = isinstance(principal, str) and principal.endswith((".amazonaws.com", ".amazonaws.com.cn"))
    kind = "Service" if service else "AWS"
    conditions = tuple(
        _condition(key, record.values.get(attribute))
        for key, attribute in (
            ("aws:SourceAccount", "source_account"),
            ("aws:SourceArn", "source_arn"),
            ("aws:PrincipalOrgID", "principal_org_id"),
        )
        if record.values.get(attribute) is not None
    )
    statement = Statement(principals=(Principal(kind, principal),), conditions=conditions)
    target = (function.address, f"Lambda permission {record.address}")
    yield from document_grants(context, record, function, PolicyDocument((statement,)), [target])


def lambda_function(context: NormaliseContext, value: Any) -> ResourceRecord | None:
    """The function a permission names: by reference, ARN or ``function_name`` (which ``referenced`` does not index)."""
    named = context.referenced(value)
    if named is not None and named.type == "aws_lambda_function":
        return named
    if not isinstance(value, str):
        return None
    name = value.split(":function:", 1)[-1].split(":", 1)[0]
    return next((r for r in context.of_type("aws_lambda_function") if r.mode == "managed"
                 and r.values.get("function_name") == name), None)


def ram_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``aws_ram_principal_association``: the principal reaches every resource in the share."""
    share_value = record.values.get("resource_share_arn")
    share = context.referenced(share_value)
    words = f"RAM resource share {share.address if share is not None else share_value} ({record.address})"
    targets: list[Target] = [(share.address if share is not None else record.address, words)]
    for association in context.of_type("aws_ram_resource_association"):
        if association.mode != "managed":
            continue
        if not _same(context, association.values.get("resource_share_arn"), share_value):
            continue
        shared = context.referenced(association.values.get("resource_arn"))
        if shared is not None:
            targets.append((shared.address, f"{words}; shared by {association.address}"))
    who = ram_principal(context, share or record, record.values.get("principal"))
    for address, description in targets:
        yield who.grant(address, description, record)


def ram_principal(context: NormaliseContext, subject: ResourceRecord, value: Any) -> Who:
    """A RAM principal: an account id, an organisation or OU ARN, or an IAM role/user ARN."""
    if isinstance(value, str) and value.startswith("arn:aws:organizations:"):
        return org_principal(context, value)
    return aws_principal(context, subject, value)


def lakeformation_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``aws_lakeformation_permissions``: the principal reaches the database, table or location named."""
    reached: list[ResourceRecord] = []
    for path in ("database.name", "table.name", "table.database_name", "table_with_columns.name",
                 "table_with_columns.database_name", "data_location.arn"):
        named = context.referenced(first(values_at(record.values, path)))
        if named is not None and named.mode == "managed" and named not in reached:
            reached.append(named)
    principal = record.values.get("principal")
    if principal == "IAM_ALLOWED_PRINCIPALS":
        who = Who(principal, internal=True, note="access is left to IAM policies, which are judged on their own")
    else:
        who = aws_principal(context, reached[0] if reached else record, principal)
    permissions = ", ".join(str(p) for p in _listed(record.values.get("permissions"))) or "permissions"
    for target in reached or [record]:
        yield who.grant(target.address, f"Lake Formation {permissions} ({record.address})", record)


# --- AWS: principals -------------------------------------------------------------------------------


def document_grants(
    context: NormaliseContext,
    record: ResourceRecord,
    subject: ResourceRecord,
    document: PolicyDocument,
    targets: Sequence[Target],
) -> Iterator[Grant]:
    """A grant per principal of every Allow statement, against each target; one unknown if unreadable."""
    if not document.readable:
        who = Who("unknown principals", note=f"the policy could not be read: {document.unreadable}", readable=False)
        address, description = targets[0]
        yield who.grant(address, description, record)
    for statement in document.statements:
        if not statement.allows:
            continue
        detail = conditions_note(statement)
        for who in statement_principals(context, subject, statement):
            for address, description in targets:
                yield who.grant(address, f"{description}{detail}", record)


def statement_principals(context: NormaliseContext, subject: ResourceRecord, statement: Statement) -> Iterator[Who]:
    """The principals one Allow statement lets in, each judged."""
    if statement.not_principals:
        yield Who("*", party=PUBLIC, note="Allow with NotPrincipal: everyone except the principals listed")
    for principal in statement.principals:
        kind = principal.kind.lower()
        if kind == "service":
            yield Who(_shown(principal.value), internal=True, note="AWS service principal")
        elif kind == "federated":
            yield federated_principal(context, principal.value, statement)
        elif kind == "aws" and principal.value == "*":
            yield anyone(context, subject, statement)
        elif kind == "aws":
            yield aws_principal(context, subject, principal.value)
        else:
            yield placed(context, principal.value)


def aws_principal(context: NormaliseContext, subject: ResourceRecord, value: Any) -> Who:
    """An account id, an IAM ARN, or a reference to an identity."""
    if isinstance(value, Unknown):
        own = context.own_inputs.get(value.reason)
        if own is not None and value.ref is None:
            # Built from the very input that names the account the estate deploys to.
            return Who(_shown(value), internal=True, note=f"the estate's own account: {own} ({value.reason})")
        return referenced_principal(context, value)
    text = str(value)
    if text == "*":
        return Who("*", party=PUBLIC)
    account = text if _ACCOUNT_ID.match(text) else _account_of(text)
    if account is not None and account in context.rules.dwp_scopes:
        return Who(text, internal=True, note=f"account {account} is listed as DWP in the config (dwp.accounts)")
    if account is not None and _own_account(context, subject, account):
        return Who(text, internal=True, note=f"account {account} is {subject.address}'s own")
    if account is not None and account in context.own_accounts:
        return Who(text, internal=True, note=f"account {account} is the estate's own: {context.own_accounts[account]}")
    party = context.estate.principal(text) or (context.estate.account(account) if account else None)
    return Who(text, party=party)


def anyone(context: NormaliseContext, subject: ResourceRecord, statement: Statement) -> Who:
    """``Principal: "*"``: public, unless a condition narrows it to an account, organisation or network."""
    for key, kind in _RESTRICTING:
        values = statement.condition_values(key)
        if not values:
            continue
        who = org_principal(context, values[0]) if kind == "org" else (
            aws_principal(context, subject, values[0]) if kind == "arn" else placed(context, values[0])
        )
        also = f" (and {len(values) - 1} more value(s))" if len(values) > 1 else ""
        note = f"Principal \"*\", narrowed by {key}{also}"
        return Who(who.principal, who.internal, who.party, "; ".join(n for n in (note, who.note) if n))
    return Who("*", party=PUBLIC, note=PUBLIC.note)


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
    shown = _shown(value)
    via = ""
    provider = context.referenced(value) if isinstance(value, Unknown) else None
    if provider is not None and provider.type == "aws_iam_openid_connect_provider":
        url = provider.values.get("url")
        if isinstance(url, Unknown) and url.ref:
            # An EKS cluster's own issuer: its service accounts, which this configuration creates.
            return Who(shown, internal=True, note=f"OIDC issuer of {url.ref}")
        issuer = url if isinstance(url, str) else None
        via = provider.address
    elif provider is not None:
        return referenced_principal(context, value)
    elif isinstance(value, str):
        issuer = value.split("oidc-provider/", 1)[1] if "oidc-provider/" in value else value
    if issuer is None:
        return Who(shown, note="the identity provider could not be read")
    issuer = issuer.removeprefix("https://").rstrip("/")
    if _EKS_ISSUER.match(issuer):
        return Who(issuer, internal=True, note="OIDC issuer of an EKS cluster")
    party = context.estate.principal(issuer) or (context.estate.principal(value) if isinstance(value, str) else None)
    return Who(issuer, party=party, note=f"federated through {via or issuer}{subject_note(issuer, statement)}")


def subject_note(issuer: str, statement: Statement) -> str:
    """The workloads an OIDC trust admits, from its ``sub`` condition (a GitHub repository, a GitLab project)."""
    values = [_shown(v) for c in statement.conditions_ending(":sub") for v in c.values]
    if not values:
        return f"; no {issuer}:sub condition, so any workload the issuer signs for can assume it"
    return f" for {'repository' if 'github' in issuer else 'subject'} {', '.join(values)}"


def referenced_principal(context: NormaliseContext, value: Unknown) -> Who:
    """A principal given as a reference: created here, looked up in the own account/tenant, or not known."""
    record = context.by_address.get(value.ref) if value.ref else None
    shown = _shown(value)
    if record is None:
        return Who(shown, note=f"not known statically: {value.reason}")
    if record.mode == "managed":
        return Who(shown, internal=True, note=f"created by this configuration ({record.type})")
    own = _OWN_DATA.get(record.type)
    if own is not None:
        return Who(shown, internal=True, note=own)
    names = [v for k in ("display_name", "client_id", "application_id", "object_id", "arn", "name")
             if isinstance(v := record.values.get(k), str)]
    party = next((p for p in (context.estate.principal(n) for n in names) if p is not None), None)
    return Who(shown, party=party, note=f"looked up by {record.address}" + (f" ({names[0]})" if names else ""))


def placed(context: NormaliseContext, value: Any) -> Who:
    """Any other identifier: a reference, or whatever the estate map says of it."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    return Who(str(value), party=context.estate.principal(str(value)))


def conditions_note(statement: Statement) -> str:
    """The statement's conditions in words (``sub`` conditions are told with the issuer)."""
    shown = []
    for condition in statement.conditions:
        if condition.key.lower().endswith((":sub", ":aud")):
            # The subject is told with the issuer; the audience says nothing about who.
            continue
        if condition.key.lower() == "sts:externalid":
            shown.append("sts:ExternalId required")
            continue
        values = ", ".join(_shown(v) for v in condition.values[:3]) + (", ..." if len(condition.values) > 3 else "")
        shown.append(f"{condition.key} {condition.operator} {values}")
    return f"; condition {'; '.join(shown)}" if shown else ""


# --- Azure -----------------------------------------------------------------------------------------


def role_assignment_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``azurerm_role_assignment``: the principal reaches what its scope covers."""
    reached, scope = azure_scope(context, record.values.get("scope"))
    who = azure_principal(context, record.values.get("principal_id"))
    role = record.values.get("role_definition_name")
    if role is None:
        role = record.values.get("role_definition_id")
    description = f"role assignment {_shown(role)} on {scope} ({record.address})"
    for target in reached or [record]:
        yield who.grant(target.address, description, record)


def lighthouse_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``azurerm_lighthouse_assignment``: the definition's managing tenant reaches the scope delegated."""
    definition = context.referenced(record.values.get("lighthouse_definition_id"))
    reached, scope = azure_scope(context, record.values.get("scope"))
    if definition is None or definition.type != "azurerm_lighthouse_definition":
        who = Who(_shown(record.values.get("lighthouse_definition_id")),
                  note="the Lighthouse definition is not in the scanned configuration")
        name = "a definition outside the scan"
    else:
        who = tenant_principal(context, definition.values.get("managing_tenant_id"))
        name = f"{definition.address} ({_shown(definition.values.get('name'))})"
        authorisations = [
            _shown(a.get("principal_display_name") or a.get("principal_id"))
            for a in _listed(definition.values.get("authorization"))
            if isinstance(a, dict)
        ]
        if authorisations:
            name += f", authorising {', '.join(authorisations)}"
    description = f"Azure Lighthouse delegation of {scope} to {name} ({record.address})"
    for target in reached or [record]:
        yield who.grant(target.address, description, record)


def azure_principal(context: NormaliseContext, value: Any) -> Who:
    """A role assignment's ``principal_id``: an identity created or looked up here, or an object id."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    return Who(_shown(value), party=context.estate.principal(str(value)) if value is not None else None)


def tenant_principal(context: NormaliseContext, value: Any) -> Who:
    """An Entra tenant id (Lighthouse ``managing_tenant_id``)."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    text = str(value)
    if text in context.rules.dwp_scopes:
        return Who(text, internal=True, note=f"tenant {text} is listed as DWP in the config")
    if text in context.own_accounts:
        return Who(text, internal=True, note=f"tenant {text} is the estate's own: {context.own_accounts[text]}")
    return Who(text, party=context.estate.tenant(text) or context.estate.principal(text))


def azure_scope(context: NormaliseContext, value: Any) -> tuple[list[ResourceRecord], str]:
    """The resources an Azure scope covers, and the scope in words.

    A resource is itself; a resource group is the group and the DWP resources in it; a subscription or
    management group, or a scope that matches nothing scanned, is every DWP Azure resource in the scan.
    """
    text = value if isinstance(value, str) else None
    if text is not None and (whole := re.fullmatch(r"(?i)/subscriptions/([^/]+)/?", text)):
        return in_subscription(azure_dwp(context), whole.group(1)), f"subscription {text}"
    if text is not None and "/managementgroups/" in text.lower():
        return azure_dwp(context), f"management group {text}"
    if text is not None and (group := re.fullmatch(r"(?i)/subscriptions/[^/]+/resourceGroups/([^/]+)/?", text)):
        return in_group(context, group.group(1), None), f"resource group {group.group(1)}"
    record = context.referenced(value)
    if record is None:
        return azure_dwp(context), (
            f"scope {_shown(value)}, which matches nothing scanned, so every DWP Azure resource is assumed reachable"
        )
    if record.type in ("azurerm_subscription", "azurerm_management_group"):
        return azure_dwp(context), f"{record.type.removeprefix('azurerm_').replace('_', ' ')} {record.address}"
    if record.type == "azurerm_resource_group":
        return in_group(context, record.values.get("name"), record), f"resource group {record.address}"
    return [record], record.address


def in_subscription(records: list[ResourceRecord], subscription: str) -> list[ResourceRecord]:
    """The resources of one subscription, among resources whose subscription the input says (a live scan of
    several subscriptions); all of them when the input does not say (one Terraform configuration)."""
    wanted = subscription.lower()
    return [r for r in records if r.placement.account is None or r.placement.account.lower() == wanted]


def in_group(context: NormaliseContext, name: Any, group: ResourceRecord | None) -> list[ResourceRecord]:
    """A resource group (when scanned) and the DWP resources in it."""
    found = [group] if group is not None and group.mode == "managed" else []
    members: set[str] = set()
    azure = [r for r in context.records if r.mode == "managed" and r is not group and r.type.startswith("azurerm_")]
    for record in azure:
        value = record.values.get("resource_group_name")
        if (isinstance(value, str) and value == name) or (
            isinstance(value, Unknown) and group is not None and context.referenced(value) is group
        ):
            members.add(record.address)
    # Child resources name their parent, not the group (an SQL database its server_id): they are inside too.
    for record in azure:
        if record.address not in members and any(
            key.endswith("_id") and (parent := context.referenced(value)) is not None and parent.address in members
            for key, value in record.values.items()
        ):
            members.add(record.address)
    found.extend(r for r in azure if r.address in members and holds_data(r.type) and is_dwp(context, r))
    return found


def azure_dwp(context: NormaliseContext) -> list[ResourceRecord]:
    """Every DWP Azure resource in the scan."""
    return Index.of(context).azure_dwp


# --- helpers ---------------------------------------------------------------------------------------


def read_document(context: NormaliseContext, value: Any) -> PolicyDocument:
    """A policy value read with the scan's data sources."""

    def lookup(address: str) -> dict[str, Any] | None:
        record = context.by_address.get(address)
        return dict(record.values) if record is not None and record.mode == "data" else None

    return read_policy(value, lookup)


def resource_named(context: NormaliseContext, value: Any) -> ResourceRecord | None:
    """The managed resource a policy's ``Resource`` entry names (``*`` and wildcards name none)."""
    if isinstance(value, str) and (value == "*" or value.endswith(":*")):
        return None
    record = context.referenced(value)
    if record is None or record.mode != "managed" or record.type.split("_", 1)[0] not in CLOUD_OF_PREFIX:
        return None
    return None if record.type.startswith("aws_iam_") else record


def is_dwp(context: NormaliseContext, record: ResourceRecord) -> bool:
    """Whether a record is in scope of the policy (its tags, scope or the config say so)."""
    return context.classification(record).dwp


def _own_account(context: NormaliseContext, subject: ResourceRecord, account: str | None) -> bool:
    return account is not None and (account in context.rules.dwp_scopes or context.scope_of(subject) == account)


def _account_of(arn: str) -> str | None:
    match = _ARN_ACCOUNT.match(arn)
    return match.group(1) if match else None


def _same(context: NormaliseContext, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str) and left == right:
        return True
    named = context.referenced(left)
    return named is not None and named is context.referenced(right)


def _condition(key: str, value: Any) -> Condition:
    return Condition("StringEquals", key, (value,))


def _shown(value: Any) -> str:
    if isinstance(value, Unknown):
        if value.ref:
            return f"{value.ref}.{value.attribute}" if value.attribute else value.ref
        return f"unknown ({value.reason})"
    return "" if value is None else str(value)


def _vendor_note(party: Party | None) -> str | None:
    if party is None or party.source != "known vendor":
        return None
    return f"known vendor: {party.note or party.owner}"


def _listed(value: Any) -> list[Any]:
    if value is None or isinstance(value, Unknown):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _distinct(found: Iterable[Grant]) -> Iterator[Grant]:
    seen: set[tuple[str, str, str]] = set()
    for grant in found:
        key = (grant.resource_id, grant.principal, grant.description)
        if key not in seen:
            seen.add(key)
            yield grant


def _severity_order(grant: Grant) -> int:
    if grant.internal or grant.uk is True:
        return 2
    return 0 if grant.uk is False else 1


def _kms_values(values: Any, path: str) -> Iterator[tuple[str, Any]]:
    # Every attribute whose name mentions kms, anywhere in the record's nested blocks.
    if isinstance(values, dict):
        for key, value in values.items():
            inner = f"{path}.{key}" if path else key
            if "kms" in key.lower() and isinstance(value, str | Unknown):
                yield inner, value
            else:
                yield from _kms_values(value, inner)
    elif isinstance(values, list):
        for item in values:
            yield from _kms_values(item, path)


_HANDLERS: dict[str, Callable[[NormaliseContext, ResourceRecord], Iterator[Grant]]] = {
    "aws_iam_role": role_grants,
    "aws_kms_grant": kms_grant_grants,
    "aws_lambda_permission": lambda_permission_grants,
    "aws_ram_principal_association": ram_grants,
    "aws_lakeformation_permissions": lakeformation_grants,
    "azurerm_role_assignment": role_assignment_grants,
    "azurerm_lighthouse_assignment": lighthouse_grants,
}
