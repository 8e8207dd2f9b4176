"""Encryption at rest: the key each data-holding resource (and each copy of it) is encrypted under, and where the
key lives. What each type's arguments mean is data (``resource_map/encryption.yaml``); this module reads it,
resolves the key an argument names to the key resource when the scan holds it (by reference, ARN, id or name),
and places the key: a KMS key's region, a replica of a multi-Region key, a Key Vault's location, a Cloud KMS key
ring's location. A key the scan does not hold is placed from its ARN or resource name where that says a region.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from providers.semantics.context import NormaliseContext, first, placed, setting, values_at
from providers.semantics.records import ResourceRecord, Unknown
from scanner.model import CopyKey, Encryption, KeyKind, Location, Resource
from scanner.yaml_data import load_yaml

_FILE = Path(__file__).with_name("resource_map") / "encryption.yaml"

DEFAULTS = ("provider", "none", "unknown")


@dataclass(frozen=True)
class CopyRule:
    """Keys that copies land under: one per block of ``each``."""

    each: str
    key: str
    region: str | None = None
    to: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class TypeEncryption:
    """What ``encryption.yaml`` says of one type."""

    key: tuple[str, ...] = ()
    switch: str | None = None
    switch_on: tuple[Any, ...] = (True,)
    provider_when: tuple[str, tuple[Any, ...], str | None] | None = None
    default: str = "unknown"
    provider_key: str | None = None
    applies_to: str | None = None
    inherits: str | None = None
    copies: tuple[CopyRule, ...] = ()
    note: str | None = None
    vault_key: tuple[str, str] | None = None
    """(vault argument, key-name argument): a key named by its vault and its name, not by its id."""


@dataclass(frozen=True)
class EncryptionTable:
    types: Mapping[str, TypeEncryption]
    not_stored: tuple[str, ...]
    key_holders: Mapping[str, Mapping[str, Any]]
    provider_keys: tuple[str, ...]

    def stores_data(self, resource_type: str) -> bool:
        """False for types that hold no data at rest themselves (networks, keys, key stores)."""
        return not any(fnmatch.fnmatchcase(resource_type, pattern) for pattern in self.not_stored)


def _type_entry(name: str, raw: Mapping[str, Any]) -> TypeEncryption:
    known = {"key", "switch", "provider_when", "default", "provider_key", "applies_to", "inherits", "copies", "note",
             "vault_key"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"encryption.yaml: {name}: unknown keys {sorted(unknown)}")
    default = str(raw.get("default", "unknown"))
    if default not in DEFAULTS:
        raise ValueError(f"encryption.yaml: {name}.default is {default!r}, not one of {', '.join(DEFAULTS)}")
    key = raw.get("key") or ()
    switch = raw.get("switch")
    provider_when = raw.get("provider_when")
    copies = tuple(CopyRule(str(c["each"]), str(c["key"]), c.get("region"), c.get("to"), c.get("subject"))
                   for c in raw.get("copies") or ())
    return TypeEncryption(
        key=(key,) if isinstance(key, str) else tuple(key),
        switch=switch["path"] if switch else None,
        switch_on=tuple(switch.get("on", (True,))) if switch else (True,),
        provider_when=(provider_when["path"], tuple(provider_when["in"]), provider_when.get("key"))
        if provider_when else None,
        default=default,
        provider_key=raw.get("provider_key"),
        applies_to=raw.get("applies_to"),
        inherits=raw.get("inherits"),
        copies=copies,
        note=" ".join(str(raw["note"]).split()) if raw.get("note") else None,
        vault_key=(str(raw["vault_key"]["vault"]), str(raw["vault_key"]["name"])) if raw.get("vault_key") else None,
    )


@functools.cache
def encryption_table() -> EncryptionTable:
    """``resource_map/encryption.yaml``, read once per process."""
    raw = load_yaml(_FILE.read_text(encoding="utf-8"))
    return EncryptionTable(
        types={str(name): _type_entry(str(name), entry) for name, entry in (raw.get("encryption") or {}).items()},
        not_stored=tuple(raw.get("not_stored") or ()),
        key_holders={str(k): dict(v) for k, v in (raw.get("key_holders") or {}).items()},
        provider_keys=tuple(raw.get("provider_keys") or ()),
    )


# --- placing a key -------------------------------------------------------------------------------------------

_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):(?P<account>\d*):(?P<kind>key|alias)/(?P<id>.+)$")
_GCP_KEY = re.compile(r"^projects/[^/]+/locations/(?P<location>[^/]+)/keyRings/")


@dataclass(frozen=True)
class _Key:
    name: str
    kind: KeyKind
    location: Location | None
    how: tuple[str, ...]
    multi_region: bool = False


def _resolve_key(context: NormaliseContext, record: ResourceRecord, path: str, value: Any,
                 seen: frozenset[str] = frozenset()) -> _Key:
    """The key ``record``'s ``path`` names: the key resource when the scan has it, else what the value says."""
    table = encryption_table()
    step = setting(record, path, value)
    target = context.referenced(value)
    if target is not None and target is not record and target.address not in seen:
        holder = table.key_holders.get(target.type)
        if holder is not None and holder.get("follow"):
            followed = first(values_at(target.values, str(holder["follow"])))
            if followed is not None:
                inner = _resolve_key(context, target, str(holder["follow"]), followed, seen | {record.address})
                return replace(inner, how=(step, *inner.how))
        if holder is not None and holder.get("key"):
            location = context.location(target)
            multi = bool(holder.get("replica")) or (
                holder.get("multi_region") is not None
                and target.values.get(str(holder["multi_region"])) is True)
            return _Key(target.address, KeyKind.CUSTOMER, location,
                        (step, f"{target.address} is placed in {location.describe()}"), multi)
    if isinstance(value, Unknown):
        return _Key(f"unknown ({value.reason})", KeyKind.CUSTOMER, None, (step,))
    text = str(value)
    if any(fnmatch.fnmatchcase(text, pattern) for pattern in table.provider_keys):
        return _Key(text, KeyKind.PROVIDER, None, (step, "an AWS managed key: the provider holds it"))
    arn = _KMS_ARN.match(text)
    if arn is not None:
        location = placed("aws", arn["region"], (f"the key's ARN names region {arn['region']}",))
        return _Key(text, KeyKind.CUSTOMER, location, (step, f"the key is not in the scan: its ARN says "
                    f"{arn['region']}"), arn["id"].startswith("mrk-"))
    gcp = _GCP_KEY.match(text)
    if gcp is not None:
        location = placed("gcp", gcp["location"], (f"the key's name says location {gcp['location']}",))
        return _Key(text, KeyKind.CUSTOMER, location, (step, "the key is not in the scan: its name says "
                    f"{gcp['location']}"))
    if record.type.startswith("aws_") and not text.startswith("arn:"):
        # A key id or alias without a region is looked up in the region of the resource that names it.
        own = context.location(record)
        return _Key(text, KeyKind.CUSTOMER, own, (step, "a KMS key id or alias without an ARN is in the region "
                    f"of the resource naming it ({own.describe()})"), text.startswith("mrk-"))
    return _Key(text, KeyKind.CUSTOMER, None, (step, "the key is not in the scan, and its name does not place it"))


def _vault_key(context: NormaliseContext, record: ResourceRecord, vault_path: str, name_path: str) -> _Key | None:
    """A key named by its vault and its name (``key_vault_id`` with ``key_name``): the key resource when the name
    leads to one the scan holds, else the vault, which is where the key lives."""
    name = first(values_at(record.values, name_path))
    vault_value = first(values_at(record.values, vault_path))
    if name is None and vault_value is None:
        return None
    if name is not None:
        key = _resolve_key(context, record, name_path, name)
        if key.location is not None:
            return key
    vault = context.referenced(vault_value) if vault_value is not None else None
    if vault is None:
        return _resolve_key(context, record, name_path, name) if name is not None else None
    location = context.location(vault)
    label = str(name) if isinstance(name, str) else "a key"
    return _Key(f"{label} in {vault.address}", KeyKind.CUSTOMER, location,
                (setting(record, vault_path, vault_value), *((setting(record, name_path, name),) if name is not None
                                                            else ()),
                 f"{vault.address} is placed in {location.describe()}"))


def _keyed(key: _Key) -> Encryption:
    return Encryption(True, key.name, key.kind, key.location, key.how, key.multi_region)


# --- the fact of one record ----------------------------------------------------------------------------------


def _own(context: NormaliseContext, record: ResourceRecord, rule: TypeEncryption) -> Encryption:
    """What the record's own arguments (and the table's default) say."""
    switch = first(values_at(record.values, rule.switch)) if rule.switch else None
    if isinstance(switch, Unknown):
        return Encryption(None, None, None, None, (setting(record, rule.switch or "", switch),))
    if rule.provider_when is not None:
        path, values, name = rule.provider_when
        said = first(values_at(record.values, path))
        if isinstance(said, str) and said in values:
            return Encryption(True, name or rule.provider_key, KeyKind.PROVIDER, None, (setting(record, path, said),))
    switched_off = rule.switch is not None and switch is not None and switch not in rule.switch_on
    for path in rule.key:
        value = first(values_at(record.values, path))
        if value is None:
            continue
        if switched_off and rule.default == "none":
            return Encryption(False, None, None, None, (setting(record, rule.switch or "", switch),
                                                         f"{path} is set but encryption is off"))
        return _keyed(_resolve_key(context, record, path, value))
    if rule.vault_key is not None:
        named = _vault_key(context, record, *rule.vault_key)
        if named is not None:
            return _keyed(named)
    if rule.switch is not None and switch is not None:
        if not switched_off:
            return Encryption(True, rule.provider_key, KeyKind.PROVIDER, None,
                              (setting(record, rule.switch, switch), "no key is named: the provider's key"))
        if rule.default != "provider":
            return Encryption(False, None, None, None, (setting(record, rule.switch, switch),))
    if rule.default == "provider":
        return Encryption(True, rule.provider_key, KeyKind.PROVIDER, None,
                          (f"{record.type} is encrypted at rest by default with a key the provider holds"
                           f"{f' ({rule.note})' if rule.note else ''}",))
    if rule.default == "none":
        said = f"{rule.switch} is not set" if rule.switch else "no key is named"
        return Encryption(False, None, None, None, (f"{record.address}: {said}: {record.type} is not encrypted at "
                                                    "rest unless the configuration says so",))
    return Encryption(None, None, None, None, (f"{record.address}: no key is named, and what {record.type} does "
                                               "by default is not established",))


def _not_read(record: ResourceRecord) -> Encryption:
    return Encryption(None, None, None, None, (f"{record.type} is not in resource_map/encryption.yaml: whether its "
                                               "data is encrypted at rest is not read",))


def _copy_keys(context: NormaliseContext, record: ResourceRecord,
               rule: CopyRule) -> Iterator[tuple[ResourceRecord | None, CopyKey]]:
    """(receiving record or None, the copy's key) for each block of a copy rule that names a key."""
    for block in values_at(record.values, rule.each):
        if not isinstance(block, Mapping):
            continue
        value = first(values_at(block, rule.key))
        if value is None:
            continue
        key = _resolve_key(context, record, f"{rule.each}.{rule.key}", value)
        receiver = context.referenced(first(values_at(block, rule.to))) if rule.to else None
        if rule.region is not None:
            region = first(values_at(block, rule.region))
            region = region if isinstance(region, str) else None
        else:
            region = key.location.region if key.location is not None else None
        yield receiver, CopyKey(region, _keyed(key))


def with_encryption(context: NormaliseContext, records: Sequence[ResourceRecord],
                    resources: Sequence[Resource]) -> tuple[Resource, ...]:
    """``resources`` with the encryption fact of each data-holding one (None for the others)."""
    table = encryption_table()
    by_address = {r.address: r for r in records}
    facts: dict[str, Encryption] = {}
    for resource in resources:
        record = by_address.get(resource.id)
        if record is None or not resource.holds_data or not table.stores_data(resource.type):
            continue
        rule = table.types.get(record.type)
        facts[record.address] = _not_read(record) if rule is None else _own(context, record, rule)
    # Inherited: a copy that names no key takes its source's (after every source's own fact is known).
    for address, fact in list(facts.items()):
        rule = table.types.get(by_address[address].type)
        if rule is None or rule.inherits is None or fact.key is not None:
            continue
        value = by_address[address].values.get(rule.inherits)
        source = context.referenced(value) if value is not None else None
        if source is not None and source.address in facts and source.address != address:
            inherited = facts[source.address]
            facts[address] = replace(inherited, how=(setting(by_address[address], rule.inherits, value),
                                                     f"a copy that names no key of its own is encrypted as its "
                                                     f"source {source.address}", *inherited.how))
    # Settings of other resources (a bucket's SSE configuration), then the keys copies land under, which decide
    # for the copy whatever the receiver's own default says.
    for record in records:
        rule = table.types.get(record.type)
        if rule is None or rule.applies_to is None:
            continue
        subject = context.referenced(record.values.get(rule.applies_to))
        if subject is not None and subject.address in facts:
            own = _own(context, record, rule)
            facts[subject.address] = replace(own, how=(f"{record.address} {rule.applies_to} -> {subject.address}",
                                                       *own.how))
    for record in records:
        rule = table.types.get(record.type)
        for copy_rule in rule.copies if rule is not None else ():
            subject_value = record.values.get(copy_rule.subject) if copy_rule.subject else None
            subject = context.referenced(subject_value) if copy_rule.subject else record
            for receiver, copy_key in _copy_keys(context, record, copy_rule):
                if receiver is not None and receiver.address in facts:
                    landed = f"copies of {subject.address if subject else 'the source'} land on {receiver.address} " \
                             "under the key this rule names"
                    own = facts[receiver.address]
                    if copy_key.encryption.key_location is None and own.key_location is not None:
                        # The rule's key is not known (a dynamic block over a computed value): the receiver's own
                        # configuration, which places its key, says more.
                        facts[receiver.address] = replace(own, how=(*own.how, f"{landed}, which is not known: "
                                                                    f"{'; '.join(copy_key.encryption.how)}"))
                    else:
                        facts[receiver.address] = replace(copy_key.encryption,
                                                          how=(landed, *copy_key.encryption.how))
                elif subject is not None and subject.address in facts:
                    held = facts[subject.address]
                    facts[subject.address] = replace(held, copies=(*held.copies, copy_key))
    return tuple(replace(r, encryption=facts[r.id]) if r.id in facts else r for r in resources)
