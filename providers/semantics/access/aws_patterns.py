"""IAM ``Resource`` patterns: the DWP resources an identity policy's wildcard ARN reaches.

``arn:aws:s3:::claims-*/*`` or ``arn:aws:dynamodb:eu-west-2:111122223333:table/claims*`` name no one resource but
reach every DWP resource they match, for the actions of the resource's service the statement allows. ``*`` alone
and a whole service (``arn:aws:s3:::*``) are left as they were: they name no resource (access.aws.resource_named).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from providers.semantics.access.common import is_dwp
from providers.semantics.access.tables import database_users
from providers.semantics.context import NormaliseContext
from providers.semantics.policy_documents import Statement
from providers.semantics.records import ResourceRecord, Unknown


def is_pattern(value: Any) -> bool:
    """A wildcard ARN narrower than everything: ``*`` alone and ``...:*`` (a whole service) are not."""
    return (isinstance(value, str) and value.startswith("arn:") and ("*" in value or "?" in value)
            and not value.endswith(":*"))


def arns_of(record: ResourceRecord) -> list[str]:
    """The ARNs a pattern is matched against: a bucket's own and its objects', else the resource's ARN."""
    if record.type == "aws_s3_bucket":
        bucket = record.values.get("bucket")
        return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/"] if isinstance(bucket, str) else []
    arn = record.values.get("arn")
    if isinstance(arn, str) and arn.startswith("arn:"):
        return [arn]
    return [record.address] if record.address.startswith("arn:") else []


def acts_on(statement: Statement, service: str) -> bool:
    """Whether the statement allows some action of ``service`` (an unknown action or ``NotAction`` may)."""
    if statement.not_actions or not statement.actions:
        return True
    for action in statement.actions:
        if not isinstance(action, str):
            return True
        prefix = action.split(":", 1)[0].lower()
        if action == "*" or fnmatchcase(service, prefix) or isinstance(action, Unknown):
            return True
    return False


def resources_matching(context: NormaliseContext, value: Any, statement: Statement) -> Iterator[ResourceRecord]:
    """The DWP resources (not IAM's own) a wildcard ``Resource`` matches, for an action of their service."""
    if not is_pattern(value):
        return
    for record in context.records:
        if record.mode != "managed" or not record.type.startswith("aws_") or record.type.startswith("aws_iam_"):
            continue
        arns = arns_of(record)
        if not any(fnmatchcase(arn, value) for arn in arns):
            continue
        if acts_on(statement, arns[0].split(":")[2]) and is_dwp(context, record):
            yield record


def database_users_reached(context: NormaliseContext, value: Any,
                           statement: Statement) -> Iterator[tuple[ResourceRecord, str]]:
    """(DWP database, what the grant allows on it) for a ``Resource`` naming a database user (IAM database
    authentication, ``access.yaml`` ``database_users``): the databases of its region and account whose computed
    resource id it may match, with the user, and whether IAM authentication is on (the grant is not usable while
    it is off)."""
    table = database_users()
    if table is None or not isinstance(value, str):
        return
    match = re.match(table.arn, value)
    if match is None or not _allows(statement, table.action):
        return
    region, account, resource_id, user = match["region"], match["account"], match["resource_id"], match["user"]
    for record in context.records:
        attributes = table.types.get(record.type)
        if record.mode != "managed" or attributes is None or not is_dwp(context, record):
            continue
        where = context.location(record).region
        if where is None or not fnmatchcase(where, region or "*"):
            continue
        scope = context.scope_of(record)
        if account and account != "*" and scope is not None and not fnmatchcase(scope, account):
            continue
        own_id = record.values.get(attributes[0])
        if isinstance(own_id, str) and not fnmatchcase(own_id, resource_id):
            continue
        enabled = record.values.get(attributes[1])
        state = ("" if enabled is True else
                 "; IAM database authentication is not enabled on it, so the grant is not usable until it is"
                 if enabled in (None, False) else "; whether IAM database authentication is enabled is not known")
        may = "" if isinstance(own_id, str) or resource_id == "*" else " (its resource id is computed: it may match)"
        yield record, f"{table.words} {user}{may}{state}"


def _allows(statement: Statement, action: str) -> bool:
    if statement.not_actions or not statement.actions:
        return True
    return any(not isinstance(a, str) or fnmatchcase(action.lower(), a.lower()) for a in statement.actions)
