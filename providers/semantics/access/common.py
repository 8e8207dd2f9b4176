"""What AWS and Azure access share: a principal as judged, and the judgement of references and estate lookups.

A principal is *internal* (listed, never a finding) when it is inside the estate; anything else is
placed by ``context.estate`` (the user's map plus the built-in vendor accounts and OIDC issuers), and
what that does not place keeps country None, which the access policy reports as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from providers.semantics.access.tables import lookup_names, own_data
from providers.semantics.context import NormaliseContext
from providers.semantics.estate import Party
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import Grant

Target = tuple[str, str]
"""(address of the resource reached, how it is reached)."""

PUBLIC = Party("anyone (public)", None, "policy document",
               "Principal \"*\" with no condition narrowing it to an account, organisation or network")


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


def referenced_principal(context: NormaliseContext, value: Unknown) -> Who:
    """A principal given as a reference: created here, looked up in the own account/tenant, or not known."""
    record = context.by_address.get(value.ref) if value.ref else None
    shown_value = shown(value)
    if record is None:
        return Who(shown_value, note=f"not known statically: {value.reason}")
    if record.mode == "managed":
        return Who(shown_value, internal=True, note=f"created by this configuration ({record.type})")
    own = own_data().get(record.type)
    if own is not None:
        return Who(shown_value, internal=True, note=own)
    names = [v for k in lookup_names() if isinstance(v := record.values.get(k), str)]
    party = next((p for p in (context.estate.principal(n) for n in names) if p is not None), None)
    return Who(shown_value, party=party, note=f"looked up by {record.address}" + (f" ({names[0]})" if names else ""))


def placed(context: NormaliseContext, value: Any) -> Who:
    """Any other identifier: a reference, or whatever the estate map says of it."""
    if isinstance(value, Unknown):
        return referenced_principal(context, value)
    return Who(str(value), party=context.estate.principal(str(value)))


def is_dwp(context: NormaliseContext, record: ResourceRecord) -> bool:
    """Whether a record is in scope of the policy (its tags, scope or the config say so)."""
    return context.classification(record).dwp


def shown(value: Any) -> str:
    """A value as a report says it: a reference by its address, an unknown by why."""
    if isinstance(value, Unknown):
        if value.ref:
            return f"{value.ref}.{value.attribute}" if value.attribute else value.ref
        return f"unknown ({value.reason})"
    return "" if value is None else str(value)


def listed(value: Any) -> list[Any]:
    """A value that may be one item or several, as a list (nothing for None or an unknown)."""
    if value is None or isinstance(value, Unknown):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def distinct(found: Iterable[Grant]) -> Iterator[Grant]:
    """Grants without repeats: several statements or targets may say the same grant twice."""
    seen: set[tuple[str, str, str]] = set()
    for grant in found:
        key = (grant.resource_id, grant.principal, grant.description)
        if key not in seen:
            seen.add(key)
            yield grant


def severity_order(grant: Grant) -> int:
    """Outside the UK first, then not placed, then internal or UK."""
    if grant.internal or grant.uk is True:
        return 2
    return 0 if grant.uk is False else 1


def _vendor_note(party: Party | None) -> str | None:
    if party is None or party.source != "known vendor":
        return None
    return f"known vendor: {party.note or party.owner}"
