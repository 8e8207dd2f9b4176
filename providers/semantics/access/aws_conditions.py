"""``Principal: "*"`` and the conditions that narrow it: to an account, an organisation or a network.

A statement that lets in anyone is public unless a condition confines who or where: then whoever
the condition names is judged as any other principal. Which keys confine, under which operators, and
how each value is judged is data (``narrowing`` in ``resource_map/access.yaml``). A VPC or VPC
endpoint is the estate's when the scanned configuration creates or looks it up, or its ARN names an
account of the estate; any other is not placed, and the grant names it so that it can be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from providers.semantics.access.aws_principals import account_of, aws_principal, org_principal
from providers.semantics.access.common import PUBLIC, Who, placed, referenced_principal, shown
from providers.semantics.access.tables import Narrowing, narrowing, own_data
from providers.semantics.context import NormaliseContext
from providers.semantics.policy_documents import Statement
from providers.semantics.records import ResourceRecord, Unknown

Judge = Callable[[NormaliseContext, ResourceRecord, Any], Who]


def anyone(context: NormaliseContext, subject: ResourceRecord, statement: Statement) -> Iterator[Who]:
    """``Principal: "*"``: public, unless a condition confines it; then each value the condition allows."""
    confining = [(rule, values) for rule in narrowing() if (values := confining_values(statement, rule))]
    if not confining:
        yield Who("*", party=PUBLIC, note=PUBLIC.note)
        return
    judged = [(rule, [_JUDGES[rule.judged_as](context, subject, v) for v in values]) for rule, values in confining]
    # Every condition of a statement must hold, so one that keeps the statement inside the estate is enough;
    # else the most specific says who. The values of one key are alternatives: each is a way in.
    rule, whos = next(((r, w) for r, w in judged if all(who.internal for who in w)), judged[0])
    for who in whos:
        note = f"Principal \"*\", narrowed by {rule.key}" + (f" (one of {len(whos)} values)" if len(whos) > 1 else "")
        yield Who(who.principal, who.internal, who.party, "; ".join(n for n in (note, who.note) if n))


def confining_values(statement: Statement, rule: Narrowing) -> list[Any]:
    """The values a statement's conditions on one key confine it to, under an operator that requires them."""
    wanted = rule.key.lower()
    values: list[Any] = []
    for condition in statement.conditions:
        if condition.key.lower() != wanted or condition.operator.lower() not in rule.operators:
            continue
        if rule.equals is None:
            values.extend(condition.values)
        elif any(str(v).lower() == rule.equals for v in condition.values):
            # A Bool test confines only when it requires the confining value ("false" lets in the rest).
            values.append(rule.equals)
    return values


def network_principal(context: NormaliseContext, subject: ResourceRecord, value: Any, what: str) -> Who:
    """A VPC or VPC endpoint a condition names (an id, an ARN, or a reference)."""
    if isinstance(value, Unknown):
        who = referenced_principal(context, value)
        if who.internal or who.party is not None:
            return who
        return Who(who.principal, note="; ".join(n for n in (who.note, _advice(what)) if n))
    text = str(value)
    record = context.referenced(text)
    if record is not None and record.mode == "managed":
        return Who(text, internal=True, note=f"{what} {text} is {record.address}, which this configuration creates")
    if record is not None and record.type in own_data():
        return Who(text, internal=True, note=f"{what} {text} is {record.address}: {own_data()[record.type]}")
    if account_of(text) is not None:
        # A VPC ARN: in an account of the estate, or placed by the account the estate map gives it.
        who = aws_principal(context, subject, text)
        if who.internal or who.party is not None:
            return who
    party = context.estate.principal(text)
    if party is not None:
        return Who(text, party=party)
    return Who(text, note=f"{what} {text} is not created by the scanned configuration: {_advice(what)}")


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


def _mount_target(context: NormaliseContext, subject: ResourceRecord, value: Any) -> Who:
    # Mount targets are network interfaces in the file system's own VPC: who can reach that VPC (peering,
    # VPN, Direct Connect) is the network concern's question, judged there.
    return Who(f"mount targets of {subject.address}", internal=True,
               note="reachable only through the file system's own mount targets, inside its VPC")


def _advice(what: str) -> str:
    return (f"scan the configuration that creates the {what}, or place it in the estate map "
            "(estate.principals)")


_JUDGES: dict[str, Judge] = {
    "account": aws_principal,
    "org": lambda context, subject, value: org_principal(context, value),
    "vpc": lambda context, subject, value: network_principal(context, subject, value, "VPC"),
    "vpc_endpoint": lambda context, subject, value: network_principal(context, subject, value, "VPC endpoint"),
    "mount_target": _mount_target,
    "network": lambda context, subject, value: placed(context, value),
}
