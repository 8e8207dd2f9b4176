"""AWS access: trust policies, resource policies, KMS grants, Lambda permissions, RAM shares, Lake Formation.

The resource a grant is against is the one reached: the role or resource the policy belongs to, and
also the DWP resources a role's attached policies name, that a KMS key encrypts, or that a RAM share
holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from providers.semantics.access.aws_conditions import anyone, conditions_note
from providers.semantics.access.aws_patterns import database_users_reached, resources_matching
from providers.semantics.access.aws_principals import (
    account_of,
    aws_principal,
    federated_principal,
    org_principal,
    own_account,
)
from providers.semantics.access.common import PUBLIC, Target, Who, is_dwp, listed, placed, shown
from providers.semantics.access.tables import (
    ResourcePolicy,
    lake_formation_reach,
    lambda_permission_conditions,
    resource_policies,
    shared_with,
)
from providers.semantics.context import CLOUD_OF_PREFIX, NormaliseContext, first, values_at
from providers.semantics.policy_documents import Condition, PolicyDocument, Principal, Statement, read_policy
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import Grant

Handler = Callable[[NormaliseContext, ResourceRecord], Iterator[Grant]]

def handler(resource_type: str) -> Handler | None:
    """How the grants of one AWS type are read, if it declares any."""
    found = _HANDLERS.get(resource_type)
    if found is None and resource_type in resource_policies():
        return resource_policy_grants
    if found is None and resource_type in shared_with():
        return sharing_grants
    return found


# --- trust policies --------------------------------------------------------------------------------


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
                for target in (resource_named(context, named), *resources_matching(context, named, statement)):
                    if target is not None and target is not role and is_dwp(context, target):
                        reached.setdefault(target.address,
                                           (target, f"policy {via} of {role.address} names this resource"))
                for target, allows in database_users_reached(context, named, statement):
                    reached.setdefault(target.address, (target, f"policy {via} of {role.address} {allows}"))
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
            where = resource_policies().get(record.type)
            if where is not None:
                self._naming(record, where)
                subject_path = where.subject
                subject = context.referenced(first(values_at(record.values, subject_path))) if subject_path else None
                if subject is not None:
                    self.separately.add(subject.address)

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
        account = account_of(value)
        if role is None or not own_account(self.context, owner or role, account):
            return None
        return role

    def _attach(self, role: ResourceRecord | None, via: str, value: Any) -> None:
        if role is not None:
            self.attached.setdefault(role.address, []).append((via, value))

    def _attachments(self, record: ResourceRecord) -> None:
        context = self.context
        if record.type == "aws_iam_role":
            for block in listed(record.values.get("inline_policy")):
                if isinstance(block, dict):
                    self._attach(record, f"inline policy of {record.address}", block.get("policy"))
            for arn in listed(record.values.get("managed_policy_arns")):
                policy = context.referenced(arn)
                if policy is not None and policy.type == "aws_iam_policy":
                    self._attach(record, policy.address, policy.values.get("policy"))
        elif record.type == "aws_iam_role_policy":
            self._attach(self.role_named(record.values.get("role")), record.address, record.values.get("policy"))
        elif record.type in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            policy = context.referenced(record.values.get("policy_arn"))
            if policy is None or policy.type != "aws_iam_policy":
                return
            roles = [record.values.get("role")] if "role" in record.values else listed(record.values.get("roles"))
            for role in roles:
                self._attach(self.role_named(role), f"{policy.address} (attached by {record.address})",
                             policy.values.get("policy"))

    def _naming(self, record: ResourceRecord, where: ResourcePolicy) -> None:
        named: set[str] = set()
        for statement in self.document(record.values.get(where.policy)).statements:
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


# --- resource policies -----------------------------------------------------------------------------


def resource_policy_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """Principals of a resource policy (bucket, key, queue, ...) against the resource and what it guards."""
    where = resource_policies()[record.type]
    if where.subject is None and record.address in Index.of(context).separately:
        # A separate policy resource manages this one (a plan may still show its text inline): read it once.
        return
    targets = policy_targets(context, record)
    subject = context.by_address.get(targets[0][0], record)
    document = Index.of(context).document(record.values.get(where.policy))
    yield from document_grants(context, record, subject, document, targets)


def access_point_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """An ``aws_s3_access_point``: a way into its bucket. Its policy's principals reach the bucket's data as a
    bucket policy's do; one owned by another account than the bucket's (a cross-account access point) lets
    that account decide who uses it, so that account reaches the bucket."""
    bucket = context.referenced(record.values.get("bucket")) or record
    words = f"access point policy of {record.address}" if bucket is not record else "access point policy of"
    policy = record.values.get("policy")
    if policy is not None:
        document = Index.of(context).document(policy)
        yield from document_grants(context, record, bucket, document, [(bucket.address, words)])
    owner, bucket_owner = record.values.get("account_id"), record.values.get("bucket_account_id")
    if isinstance(owner, str) and isinstance(bucket_owner, str) and owner != bucket_owner:
        who = aws_principal(context, bucket, owner)
        yield who.grant(bucket.address, f"cross-account access point {record.address} of account {owner} on a "
                        f"bucket of account {bucket_owner}", record)


def policy_targets(context: NormaliseContext, record: ResourceRecord) -> list[Target]:
    """What a resource policy guards: its resource and, for a KMS key, the DWP resources the key encrypts."""
    where = resource_policies()[record.type]
    subject = record
    if where.subject is not None:
        subject = context.referenced(first(values_at(record.values, where.subject))) or record
    what = f"{where.words} {subject.address}" if subject is record else f"{where.words} {record.address}"
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
        for attribute, key in lambda_permission_conditions()
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


def sharing_grants(context: NormaliseContext, record: ResourceRecord) -> Iterator[Grant]:
    """A resource shared with accounts by listing them (``resource_map/access.yaml`` ``shared_with``): each
    account reaches it; the public value lets in every AWS account; an unread list is one unknown principal."""
    sharing = shared_with()[record.type]
    subject = context.referenced(record.values.get(sharing.subject)) if sharing.subject else record
    subject = subject or record
    target = (subject.address, f"{sharing.words} {subject.address}" if subject is record
              else f"{sharing.words} {record.address}")
    for attribute in sharing.accounts:
        value = record.values.get(attribute)
        if isinstance(value, Unknown):
            who = Who("unknown principals", note=f"who it is shared with is not known: {value.reason}",
                      readable=False)
            yield who.grant(*target, record)
            continue
        for account in listed(value):
            if sharing.public is not None and isinstance(account, str) and account.lower() == sharing.public:
                who = Who(account, party=PUBLIC, note=f"{attribute} {account!r}: every AWS account")
            else:
                # An account id, or (an AMI's launch permission) an organisation or OU ARN.
                who = ram_principal(context, subject, account)
            yield who.grant(*target, record)


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
    principal = record.values.get("principal")
    if record.stand_in and isinstance(principal, Unknown):
        # What a failed read would have named: who may reach the share could not be read, not "someone unplaced".
        who = Who("unknown principals", note=f"who it is shared with could not be read: {principal.reason}",
                  readable=False)
    else:
        who = ram_principal(context, share or record, principal)
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
    for path in lake_formation_reach():
        named = context.referenced(first(values_at(record.values, path)))
        if named is not None and named.mode == "managed" and named not in reached:
            reached.append(named)
    principal = record.values.get("principal")
    if principal == "IAM_ALLOWED_PRINCIPALS":
        who = Who(principal, internal=True, note="access is left to IAM policies, which are judged on their own")
    else:
        who = aws_principal(context, reached[0] if reached else record, principal)
    permissions = ", ".join(str(p) for p in listed(record.values.get("permissions"))) or "permissions"
    for target in reached or [record]:
        yield who.grant(target.address, f"Lake Formation {permissions} ({record.address})", record)


# --- statements ------------------------------------------------------------------------------------


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
            yield Who(shown(principal.value), internal=True, note="AWS service principal")
        elif kind == "federated":
            yield federated_principal(context, principal.value, statement)
        elif kind == "aws" and principal.value == "*":
            yield from anyone(context, subject, statement)
        elif kind == "aws":
            yield aws_principal(context, subject, principal.value)
        else:
            yield placed(context, principal.value)


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


def _same(context: NormaliseContext, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str) and left == right:
        return True
    named = context.referenced(left)
    return named is not None and named is context.referenced(right)


def _condition(key: str, value: Any) -> Condition:
    return Condition("StringEquals", key, (value,))


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


_HANDLERS: dict[str, Handler] = {
    "aws_iam_role": role_grants,
    "aws_kms_grant": kms_grant_grants,
    "aws_lambda_permission": lambda_permission_grants,
    "aws_ram_principal_association": ram_grants,
    "aws_s3_access_point": access_point_grants,
    "aws_lakeformation_permissions": lakeformation_grants,
}
