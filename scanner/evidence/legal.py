"""Section 4 (Legal Assessment), the part infrastructure can answer: for each country DWP data reaches, whether UK
adequacy regulations cover it (and, where they do not, that a transfer mechanism must be named), and who holds the
key to each copy outside the UK.

The adequacy table is data (``scanner/data/adequacy.yaml``, with its source and date) that the config's
``adequacy:`` key can override, because regulations change faster than releases.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.yaml_data import load_yaml

_DATA = Path(__file__).resolve().parent.parent / "data" / "adequacy.yaml"

MECHANISM = ("not covered: name the transfer mechanism (the ICO's International Data Transfer Agreement, IDTA, or "
             "the International Data Transfer Addendum to the EU SCCs) and the transfer risk assessment (TRA)")


@dataclass(frozen=True)
class Adequacy:
    """One country's entry in the adequacy table."""

    name: str
    scope: str
    """``full`` or ``partial`` (some sectors or certified organisations only)."""
    regulation: str
    covers: str = ""
    """For a partial regulation: whom it covers."""
    confirmed: bool = True
    """False when the table's source could not be re-read for this entry: the pack says to check it."""


@dataclass(frozen=True)
class AdequacyTable:
    source: str
    as_of: str
    countries: Mapping[str, Adequacy]


def _entry(code: str, raw: Any) -> Adequacy:
    if not isinstance(raw, Mapping):
        raise ValueError(f"adequacy.{code}: expected a mapping (name, scope, regulation)")
    scope = str(raw.get("scope") or "full")
    if scope not in ("full", "partial", "none"):
        raise ValueError(f"adequacy.{code}.scope: expected full, partial or none, not {scope!r}")
    return Adequacy(str(raw.get("name") or code), scope, str(raw.get("regulation") or ""), str(raw.get("covers") or ""),
                    raw.get("confirmed") is not False)


@functools.cache
def default_table() -> AdequacyTable:
    raw = load_yaml(_DATA.read_text(encoding="utf-8"))
    return AdequacyTable(str(raw["source"]).strip(), str(raw["as_of"]),
                         {str(code): _entry(str(code), entry) for code, entry in raw["countries"].items()})


def table_with(overrides: Mapping[str, Any] | None, where: str = "offshore-scan.yaml") -> AdequacyTable:
    """The built-in table with the config's ``adequacy:`` entries over it (``scope: none`` removes a country)."""
    base = default_table()
    if not overrides:
        return base
    countries = dict(base.countries)
    for code, raw in overrides.items():
        countries[str(code).upper()] = _entry(str(code), raw)
    return AdequacyTable(f"{base.source}; with the entries of {where} over it", base.as_of, countries)


@dataclass(frozen=True)
class Transfer:
    """One country outside the UK that DWP data reaches, and what the law asks for it."""

    country: str
    name: str
    adequacy: str
    """What the table says: ``full``, ``partial (whom)`` or ``none``."""
    needed: str
    what: tuple[str, ...]
    """The DWP resources and copies there, and the access from there."""
    how: tuple[str, ...] = ()
    """How DWP data gets there: ``hosted``, ``copied``, ``telemetry``, ``accessed from``."""


def transfer(country: str | None, what: tuple[str, ...], table: AdequacyTable, how: tuple[str, ...] = ()) -> Transfer:
    """What the law asks for one country: adequacy covers it, covers some receivers only (then the receiver is
    shown to be one, or a mechanism and a TRA are named), or does not (a mechanism and a TRA)."""
    if not country:
        return Transfer("not established", "", "cannot be judged: the location is not established",
                        "establish the location, then judge it; until then, treat it as not covered (IDTA or the "
                        "Addendum and a TRA)", what, how)
    entry = table.countries.get(country)
    if entry is None or entry.scope == "none":
        return Transfer(country, entry.name if entry else "", "none", MECHANISM, what, how)
    check = "" if entry.confirmed else " (entry not confirmed against the source: check it)"
    if entry.scope == "partial":
        return Transfer(country, entry.name, f"partial: {entry.regulation}{check}",
                        f"covered only for {entry.covers or 'the sectors the regulation names'}: show that each "
                        "receiving organisation (name it) is one; otherwise name the IDTA or the Addendum and the "
                        "transfer risk assessment (TRA)", what, how)
    return Transfer(country, entry.name, f"full: {entry.regulation}{check}",
                    "none beyond the adequacy regulations (DWP approval is still required); a receiver's onward "
                    "transfer or support access from a country not covered needs its own answer", what, how)


@dataclass(frozen=True)
class Custody:
    """Who holds the key to one DWP resource or copy outside the UK."""

    copy: str
    location: str
    encrypted: str
    key: str
    key_location: str
    """Where the key lives: its country and region, or ``provider-managed``."""
    held_by: str = ""
    """Who holds it: the customer (in which key service), the provider, a third party."""


_KEY_SERVICE = {"aws": "AWS KMS", "azure": "Azure Key Vault", "gcp": "Cloud KMS"}


def custody(copy: str, location: str, key: Mapping[str, Any] | None, inherited_from: str | None,
            vendor: bool | str = False) -> Custody:
    """Custody of one copy from the ``key`` object of the resource that holds it (``encrypted``, ``key``, ``kind``,
    ``location``, ``multi_region``), or of its source, for a copy the scan has no resource for (a replica takes
    its source's key configuration, or the key its replica block names). A third party's service (telemetry,
    alerting) holds what it receives under its own keys, whatever the source's configuration says."""
    if vendor:
        # The endpoint catalogue's vendor when it names one (the same name 2.2's Recipient gives).
        named = vendor if isinstance(vendor, str) else None
        return Custody(copy, location, "in the third party's service, under its own encryption",
                       f"{named}'s" if named else "the third party's", f"with {named}" if named else
                       "with the third party", f"{named} (third party): name it in the contract" if named else
                       "the third party: ask it, and name it in the contract")
    via = f" (as {inherited_from}'s configuration)" if inherited_from else ""
    if not key or key.get("encrypted") is None:
        return Custody(copy, location, "not shown in the configuration" + via, "none named", "not established",
                       "not established: the contractor must say")
    if key.get("encrypted") is False:
        return Custody(copy, location, "no: the configuration leaves it unencrypted at rest" + via, "none",
                       "no key", "nobody: the data is readable wherever it sits")
    key_id = str(key.get("key") or "named, value not known")
    if key.get("kind") == "provider":
        return Custody(copy, location, "yes, provider-managed key" + via, key_id, "provider-managed",
                       "the cloud provider")
    where = key.get("location") or {}
    country = where.get("country")
    region = where.get("region")
    place = f"{where.get('cloud') or ''} {region or 'region not established'}".strip()
    if where.get("uk") is True:
        held = f"in the UK ({place})"
    elif where.get("uk") is False:
        held = f"outside the UK ({place}, {country or '?'})"
    else:
        held = "not established"
    if key.get("multi_region"):
        held += "; a multi-Region key: its replicas may be held in other regions"
    service = _KEY_SERVICE.get(str(where.get("cloud") or ""), "the provider's key service")
    return Custody(copy, location, "yes, customer-managed key" + via, key_id, held, f"the customer, in {service}")
