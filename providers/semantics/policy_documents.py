"""Policy documents (IAM trust and identity policies, S3, KMS and other resource policies) read into statements.

A document reaches a record in one of three forms: JSON text (``jsonencode``, a heredoc, a plan's
value), an already-decoded mapping, or a reference to an ``aws_iam_policy_document`` data source
(an ``Unknown`` whose ``ref`` is ``data.aws_iam_policy_document.NAME``), whose ``statement`` blocks say
the same thing in HCL. Pure: the caller supplies a lookup from a data source address to its values.
A document that cannot be read says why, so the caller can report an unknown rather than a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from providers.semantics.records import Unknown

DataLookup = Callable[[str], Mapping[str, Any] | None]
"""The values of the data source at an address, or None when the scan has no such data source."""

POLICY_DOCUMENT_TYPE = "aws_iam_policy_document"


@dataclass(frozen=True)
class Principal:
    """One principal a statement names."""

    kind: str
    """``AWS``, ``Service``, ``Federated``, ``CanonicalUser``; ``Principal: "*"`` is ``AWS`` ``*``."""
    value: Any
    """The identifier as written (a string), or ``Unknown`` (``aws_iam_role.x.arn`` before apply)."""


@dataclass(frozen=True)
class Condition:
    """One condition key test of a statement."""

    operator: str
    """``StringEquals``, ``ForAnyValue:StringLike``, ..."""
    key: str
    """``aws:PrincipalOrgID``, ``token.actions.githubusercontent.com:sub``, ..."""
    values: tuple[Any, ...]
    """The values compared against (strings, or ``Unknown``)."""


@dataclass(frozen=True)
class Statement:
    """One statement, in the shape both JSON and the data source share."""

    effect: str = "Allow"
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    actions: tuple[Any, ...] = ()
    not_actions: tuple[Any, ...] = ()
    resources: tuple[Any, ...] = ()
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None

    @property
    def allows(self) -> bool:
        """Whether the statement grants rather than denies (Deny statements never give anyone access)."""
        return isinstance(self.effect, str) and self.effect.lower() == "allow"

    def condition_values(self, key: str) -> list[Any]:
        """Values of every condition on ``key`` (case-insensitive, any operator)."""
        wanted = key.lower()
        return [v for c in self.conditions if c.key.lower() == wanted for v in c.values]

    def conditions_ending(self, suffix: str) -> list[Condition]:
        """Conditions whose key ends with ``suffix`` (``:sub`` of any OIDC issuer)."""
        return [c for c in self.conditions if c.key.lower().endswith(suffix.lower())]


@dataclass(frozen=True)
class PolicyDocument:
    """The statements of a document, or why it could not be read."""

    statements: tuple[Statement, ...] = ()
    unreadable: str | None = None
    """Set when (part of) the document could not be read: its statements are then incomplete."""

    @property
    def readable(self) -> bool:
        """Whether every statement was read."""
        return self.unreadable is None


def read_policy(value: Any, lookup: DataLookup) -> PolicyDocument:
    """The document a policy attribute holds, whichever form it takes; None or "" is an empty document."""
    if value is None or value == "":
        return PolicyDocument()
    if isinstance(value, Unknown):
        if value.ref and _is_policy_document_address(value.ref):
            values = lookup(value.ref)
            if values is None:
                return PolicyDocument(unreadable=f"{value.ref} is not in the scanned configuration")
            return from_document_data(values, lookup)
        return PolicyDocument(unreadable=value.reason)
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError as error:
            return PolicyDocument(unreadable=f"the policy is not valid JSON ({error})")
        return from_json(decoded)
    if isinstance(value, Mapping):
        return from_json(value)
    return PolicyDocument(unreadable=f"the policy is a {type(value).__name__}, not a JSON document")


def from_json(document: Any) -> PolicyDocument:
    """A decoded IAM JSON policy (``{"Statement": [...]}``)."""
    if not isinstance(document, Mapping):
        return PolicyDocument(unreadable="the policy is not a JSON object")
    raw = document.get("Statement")
    if raw is None:
        return PolicyDocument()
    if isinstance(raw, Unknown):
        return PolicyDocument(unreadable=raw.reason)
    items = raw if isinstance(raw, list) else [raw]
    statements, problems = [], []
    for item in items:
        if not isinstance(item, Mapping):
            problems.append(item.reason if isinstance(item, Unknown) else "a statement is not an object")
            continue
        statements.append(_json_statement(item))
    return PolicyDocument(tuple(statements), "; ".join(problems) or None)


def from_document_data(values: Mapping[str, Any], lookup: DataLookup) -> PolicyDocument:
    """An ``aws_iam_policy_document`` data source: its source documents, ``statement`` blocks and overrides."""
    parts: list[PolicyDocument] = []
    for key in ("source_policy_documents", "source_json"):
        parts.extend(read_policy(v, lookup) for v in _listed(values.get(key)))
    statements = values.get("statement")
    if isinstance(statements, Unknown):
        parts.append(PolicyDocument(unreadable=statements.reason))
    elif isinstance(statements, list):
        parts.append(PolicyDocument(tuple(_data_statement(s) for s in statements if isinstance(s, Mapping))))
    for key in ("override_policy_documents", "override_json"):
        parts.extend(read_policy(v, lookup) for v in _listed(values.get(key)))
    problems = [p.unreadable for p in parts if p.unreadable]
    return PolicyDocument(tuple(s for p in parts for s in p.statements), "; ".join(problems) or None)


# --- JSON ------------------------------------------------------------------------------------------


def _json_statement(raw: Mapping[str, Any]) -> Statement:
    effect = raw.get("Effect", "Allow")
    return Statement(
        effect=effect if isinstance(effect, str) else "Allow",
        principals=_json_principals(raw.get("Principal")),
        not_principals=_json_principals(raw.get("NotPrincipal")),
        actions=tuple(_listed(raw.get("Action"))),
        not_actions=tuple(_listed(raw.get("NotAction"))),
        resources=tuple(_listed(raw.get("Resource"))),
        conditions=_json_conditions(raw.get("Condition")),
        sid=raw.get("Sid") if isinstance(raw.get("Sid"), str) else None,
    )


def _json_principals(raw: Any) -> tuple[Principal, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str | Unknown):
        # "Principal": "*" is everyone, the same as {"AWS": "*"}.
        return (Principal("AWS", raw),)
    if not isinstance(raw, Mapping):
        return (Principal("AWS", Unknown(f"the principal is a {type(raw).__name__}")),)
    return tuple(Principal(str(kind), value) for kind, ids in raw.items() for value in _listed(ids))


def _json_conditions(raw: Any) -> tuple[Condition, ...]:
    if not isinstance(raw, Mapping):
        return ()
    conditions = []
    for operator, tests in raw.items():
        if not isinstance(tests, Mapping):
            continue
        for key, values in tests.items():
            conditions.append(Condition(str(operator), str(key), tuple(_listed(values))))
    return tuple(conditions)


# --- the data source -------------------------------------------------------------------------------


def _data_statement(raw: Mapping[str, Any]) -> Statement:
    effect = raw.get("effect", "Allow")
    return Statement(
        effect=effect if isinstance(effect, str) else "Allow",
        principals=_data_principals(raw.get("principals")),
        not_principals=_data_principals(raw.get("not_principals")),
        actions=tuple(_listed(raw.get("actions"))),
        not_actions=tuple(_listed(raw.get("not_actions"))),
        resources=tuple(_listed(raw.get("resources"))),
        conditions=tuple(
            Condition(str(c.get("test", "")), str(c.get("variable", "")), tuple(_listed(c.get("values"))))
            for c in _listed(raw.get("condition"))
            if isinstance(c, Mapping)
        ),
        sid=raw.get("sid") if isinstance(raw.get("sid"), str) else None,
    )


def _data_principals(blocks: Any) -> tuple[Principal, ...]:
    principals = []
    for block in _listed(blocks):
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        kind = "AWS" if kind == "*" or not isinstance(kind, str) else kind
        principals.extend(Principal(kind, value) for value in _listed(block.get("identifiers")))
    return tuple(principals)


# --- helpers ---------------------------------------------------------------------------------------


def _listed(value: Any) -> Iterable[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _is_policy_document_address(address: str) -> bool:
    parts = address.split(".")
    return len(parts) >= 3 and parts[-3] == "data" and parts[-2] == POLICY_DOCUMENT_TYPE
