"""``Principal: "*"`` and the conditions that narrow it: to an account, an organisation or a network.

A statement that lets in anyone is public unless a condition confines who or where: then the
principal is whoever the condition names, judged as any other.
"""

from __future__ import annotations

from providers.semantics.access.aws_principals import aws_principal, org_principal
from providers.semantics.access.common import PUBLIC, Who, placed, shown
from providers.semantics.context import NormaliseContext
from providers.semantics.policy_documents import Statement
from providers.semantics.records import ResourceRecord

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


def conditions_note(statement: Statement) -> str:
    """The statement's conditions in words (``sub`` conditions are told with the issuer)."""
    said = []
    for condition in statement.conditions:
        if condition.key.lower().endswith((":sub", ":aud")):
            # The subject is told with the issuer; the audience says nothing about who.
            continue
        if condition.key.lower() == "sts:externalid":
            said.append("sts:ExternalId required")
            continue
        values = ", ".join(shown(v) for v in condition.values[:3]) + (", ..." if len(condition.values) > 3 else "")
        said.append(f"{condition.key} {condition.operator} {values}")
    return f"; condition {'; '.join(said)}" if said else ""
