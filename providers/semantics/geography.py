"""Which country a cloud region name puts data in, and whether that is the UK.

The facts live in ``providers/semantics/data/regions.yaml`` (from the residency catalogue, section 1); this
module only reads them. The file is loaded on first use and kept for the life of the process, so
importing the module does no I/O.

Nothing here raises on a strange region name: an unrecognised name is a ``Place`` with
``known=False`` and ``uk=False``, because the scanner's rule is that data is outside the UK until a
catalogue entry says otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from providers.semantics.data_files import data_text
from scanner.model import Location
from scanner.yaml_data import load_yaml

Cloud = Literal["aws", "azure", "gcp"]
ServiceKind = Literal["regional", "global-edge", "global-control-plane"]

UK = "GB"

_CLOUDS: tuple[Cloud, ...] = ("aws", "azure", "gcp")
_LABEL: Mapping[str, str] = MappingProxyType({"aws": "AWS", "azure": "Azure", "gcp": "GCP"})

# AZ IDs abbreviate the region: eu-west-2 -> euw2, ap-southeast-2 -> apse2, us-gov-west-1 -> usgw1.
# AWS documents the IDs but publishes no table, so the mapping is derived from the region names.
_AZ_ID_DIRECTIONS = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_AZ_ID_ABBREVIABLE = re.compile(r"([a-z]{2})-(gov-)?([a-z]+)-(\d+)")
_AWS_AZ_NAME = re.compile(r"(.+-\d+)[a-z]")
# euw2-az1, use1-bos1-az1 (Local Zone), euw2-wl1-lon-wlz1 (Wavelength Zone).
_AWS_AZ_ID = re.compile(r"([a-z]+\d+)-(?:[a-z0-9]+-)*(?:az|wlz)\d+")
_GCP_ZONE = re.compile(r"(.+\d)-[a-z]")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class Place:
    """Where a region name puts data."""

    cloud: str
    """``aws``, ``azure`` or ``gcp``, lower-cased; whatever was passed if the cloud is not one of them."""
    region: str
    """Normalised name: a zone's parent region, ``uksouth`` for Azure "UK South", ``EU`` for GCP's multi-region."""
    country: str | None
    """ISO 3166-1 alpha-2 code, ``EU`` for an EU-only multi-location; None when the catalogue cannot say."""
    uk: bool
    """True only when ``country`` is ``GB``: every copy is in the UK."""
    known: bool
    """False when the name is not in the catalogue (and so is treated as outside the UK)."""
    note: str | None
    """A human explanation of anything surprising, ready to put in a finding."""
    members: tuple[str, ...] = ()
    """For multi-locations: member regions (dual-regions, Azure geographies) or member countries (GCP multi-regions)."""


@dataclass(frozen=True)
class _Entry:
    """One catalogue entry for a location name."""

    country: str | None
    """As ``Place.country``."""
    note: str | None
    """As ``Place.note``; always set when ``country`` is None."""
    members: tuple[str, ...]
    """As ``Place.members``."""


@dataclass(frozen=True)
class _Catalogue:
    """regions.yaml, checked and indexed for look-ups."""

    aws: Mapping[str, _Entry]
    """AWS region name -> entry, every partition."""
    aws_az_ids: Mapping[str, str]
    """AZ ID prefix (``euw2``) -> AWS region name (``eu-west-2``)."""
    azure: Mapping[str, _Entry]
    """Normalised Azure location (physical region, geography or ``global``) -> entry."""
    azure_pairs: Mapping[str, str]
    """Azure region -> the region its geo-redundant copies go to."""
    gcp: Mapping[str, _Entry]
    """GCP region name -> entry."""
    gcp_multi: Mapping[str, tuple[str, _Entry]]
    """Upper-cased GCP multi/dual-region name -> (name as the catalogue spells it, entry)."""
    edge_prefixes: tuple[str, ...]
    """Terraform type prefixes whose data plane is the global edge."""
    control_prefixes: tuple[str, ...]
    """Terraform type prefixes of global services that hold only configuration."""
    control_types: frozenset[str]
    """Whole Terraform type names of global services that hold only configuration."""
    regional_exceptions: tuple[str, ...]
    """Prefixes inside the global lists that are regional after all."""


def place_region(cloud: str, name: str) -> Place:
    """Say where ``name`` (a region, zone, AZ ID or location of ``cloud``) puts data.

    Never raises: an unknown cloud or name gives ``known=False``, ``uk=False`` and a note.
    """
    if isinstance(cloud, str) and isinstance(name, str) and len(name) <= 256:
        return _placed(cloud, name)  # an estate names a handful of regions thousands of times
    return _place_region(cloud, name)


@functools.lru_cache(maxsize=4096)
def _placed(cloud: str, name: str) -> Place:
    return _place_region(cloud, name)


def _place_region(cloud: Any, name: Any) -> Place:
    cloud_key = cloud.strip().lower() if isinstance(cloud, str) else ""
    text = name.strip() if isinstance(name, str) else ""
    if cloud_key not in _CLOUDS:
        return Place(
            cloud=cloud_key or repr(cloud),
            region=text,
            country=None,
            uk=False,
            known=False,
            note=f"unknown cloud {cloud!r}: treated as outside the UK",
        )
    if not text:
        return _unknown(cloud_key, text, f"no {_LABEL[cloud_key]} region given: treated as outside the UK")
    if cloud_key == "aws":
        return _place_aws(text)
    if cloud_key == "azure":
        return _place_azure(text)
    return _place_gcp(text)


def locate(cloud: str, name: str, provenance: Sequence[str] = ()) -> Location:
    """A region, zone or location name of ``cloud`` as a ``Location``, with the steps that led to it.

    The one way every input turns a region name into a location: an unknown name is outside the UK,
    with a note, exactly as ``place_region`` says.
    """
    place = place_region(cloud, name)
    return Location(cloud, place.region, place.country, place.uk, tuple(provenance), place.note)


def paired_copy(primary_region: str, what: str, provenance: Sequence[str]) -> Location:
    """Where Azure geo-redundant storage (``what``: ``GRS``, ``Standard_RAGZRS``) in ``primary_region`` keeps its
    second copy: the region's pair, or unresolved when the catalogue has none."""
    pair = azure_paired_region(primary_region)
    if pair is None:
        return Location("azure", None, None, None, tuple(provenance),
                        f"{primary_region} has no paired region in the catalogue; where {what} copies is unknown")
    return locate("azure", pair, (*provenance, f"paired region of {primary_region}"))


def is_uk(cloud: str, name: str) -> bool:
    """Whether every copy of data placed at ``name`` stays in the UK."""
    return place_region(cloud, name).uk


def normalise_azure_location(name: str) -> str:
    """Azure's canonical form of a location: lower case, no whitespace ("UK South" -> "uksouth")."""
    return "".join(name.split()).lower()


def azure_paired_region(location: str) -> str | None:
    """The region Azure geo-replicates ``location`` to; None if it has no pair or is unknown."""
    return _catalogue().azure_pairs.get(normalise_azure_location(location))


def aws_region_of_arn(arn: str) -> str | None:
    """The region field of an ARN, or None when it is empty (S3 buckets, IAM) or ``arn`` is not an ARN."""
    if not isinstance(arn, str):
        return None
    parts = arn.strip().split(":", 5)
    if len(parts) < 6:
        return None
    prefix, partition, service, region, _account, resource = parts
    if prefix != "arn" or not partition.startswith("aws") or not service or not resource:
        return None
    return region or None


def aws_service_kind(resource_type: str) -> ServiceKind:
    """How a Terraform AWS resource type is placed: in a region, on the global edge, or in a global control plane."""
    catalogue = _catalogue()
    kind = resource_type.strip().lower()
    if kind.startswith(catalogue.regional_exceptions):
        return "regional"
    if kind.startswith(catalogue.edge_prefixes):
        return "global-edge"
    if kind in catalogue.control_types or kind.startswith(catalogue.control_prefixes):
        return "global-control-plane"
    return "regional"


def _unknown(cloud: str, region: str, note: str | None = None) -> Place:
    return Place(
        cloud=cloud,
        region=region,
        country=None,
        uk=False,
        known=False,
        note=note or f"unknown {_LABEL[cloud]} region {region!r}: treated as outside the UK",
    )


def _known(cloud: str, region: str, entry: _Entry, note: str | None = None) -> Place:
    return Place(
        cloud=cloud,
        region=region,
        country=entry.country,
        uk=entry.country == UK,
        known=True,
        note=note or entry.note,
        members=entry.members,
    )


def _place_aws(text: str) -> Place:
    catalogue = _catalogue()
    name = text.lower()
    entry = catalogue.aws.get(name)
    if entry is not None:
        return _known("aws", name, entry)

    az = _AWS_AZ_NAME.fullmatch(name)
    if az and az.group(1) in catalogue.aws:
        return _known("aws", az.group(1), catalogue.aws[az.group(1)])

    # Local and Wavelength Zones are named "<parent region>-<suffix>". Longest match first so a
    # future region whose name extends another's cannot be mistaken for its zone.
    for region in sorted(catalogue.aws, key=len, reverse=True):
        if name.startswith(region + "-"):
            parent = catalogue.aws[region]
            note = (
                f"{name!r} is a Local/Wavelength Zone of {region} and is reported in that region's"
                " country, though a Local Zone can sit in another city or country"
            )
            return _known("aws", region, parent, note=f"{parent.note}; {note}" if parent.note else note)

    az_id = _AWS_AZ_ID.fullmatch(name)
    if az_id and az_id.group(1) in catalogue.aws_az_ids:
        region = catalogue.aws_az_ids[az_id.group(1)]
        return _known("aws", region, catalogue.aws[region])

    return _unknown("aws", name)


def _place_azure(text: str) -> Place:
    name = normalise_azure_location(text)
    entry = _catalogue().azure.get(name)
    if entry is None:
        return _unknown("azure", name, f"unknown Azure location {name!r}: treated as outside the UK")
    return _known("azure", name, entry)


def _place_gcp(text: str) -> Place:
    catalogue = _catalogue()
    name = text.lower()
    entry = catalogue.gcp.get(name)
    if entry is not None:
        return _known("gcp", name, entry)

    zone = _GCP_ZONE.fullmatch(name)
    if zone and zone.group(1) in catalogue.gcp:
        return _known("gcp", zone.group(1), catalogue.gcp[zone.group(1)])

    multi = catalogue.gcp_multi.get(text.upper())
    if multi is not None:
        spelled, entry = multi
        return _known("gcp", spelled, entry)

    return _unknown("gcp", name)


@cache
def _catalogue() -> _Catalogue:
    raw = load_yaml(data_text("regions.yaml"))
    if not isinstance(raw, dict):
        raise TypeError("regions.yaml: expected a mapping at the top level")

    aws = _entries(raw, "aws")
    azure = _entries(raw, "azure")
    gcp = _entries(raw, "gcp")
    gcp_multi = {name.upper(): (name, entry) for name, entry in _entries(raw, "gcp_multi_regions").items()}

    pairs = _mapping(raw, "azure_pairs")
    for region, target in pairs.items():
        if region not in azure or target not in azure:
            raise ValueError(f"regions.yaml azure_pairs: {region} -> {target} names a location not under azure")

    az_ids: dict[str, str] = {}
    for region in aws:
        prefix = _az_id_prefix(region)
        if prefix is None:
            continue
        if prefix in az_ids:
            raise ValueError(f"regions.yaml aws: {region} and {az_ids[prefix]} share AZ ID prefix {prefix}")
        az_ids[prefix] = region

    return _Catalogue(
        aws=MappingProxyType(aws),
        aws_az_ids=MappingProxyType(az_ids),
        azure=MappingProxyType(azure),
        azure_pairs=MappingProxyType({str(k): str(v) for k, v in pairs.items()}),
        gcp=MappingProxyType(gcp),
        gcp_multi=MappingProxyType(gcp_multi),
        edge_prefixes=_strings(raw, "aws_global_edge_prefixes"),
        control_prefixes=_strings(raw, "aws_global_control_plane_prefixes"),
        control_types=frozenset(_strings(raw, "aws_global_control_plane_types")),
        regional_exceptions=_strings(raw, "aws_regional_exceptions"),
    )


def _az_id_prefix(region: str) -> str | None:
    match = _AZ_ID_ABBREVIABLE.fullmatch(region)
    if match is None or match.group(3) not in _AZ_ID_DIRECTIONS:
        return None
    area = match.group(1) + ("g" if match.group(2) else "")
    return f"{area}{_AZ_ID_DIRECTIONS[match.group(3)]}{match.group(4)}"


def _mapping(raw: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    value = raw.get(section)
    if not isinstance(value, dict):
        raise TypeError(f"regions.yaml: section {section!r} must be a mapping")
    return value


def _strings(raw: Mapping[str, Any], section: str) -> tuple[str, ...]:
    value = raw.get(section)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"regions.yaml: section {section!r} must be a list of strings")
    return tuple(value)


def _entries(raw: Mapping[str, Any], section: str) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for name, body in _mapping(raw, section).items():
        where = f"regions.yaml {section}.{name}"
        if not isinstance(body, dict) or "country" not in body:
            raise ValueError(f"{where}: expected a mapping with a 'country' key")
        country, note = body["country"], body.get("note")
        # YAML 1.1 reads a bare NO (Norway) as False, so a non-string here is a quoting mistake.
        if country is not None and not (isinstance(country, str) and _COUNTRY.fullmatch(country)):
            raise ValueError(f"{where}: country {country!r} is not a quoted two-letter code")
        if country is None and not note:
            raise ValueError(f"{where}: a null country needs a note saying why")
        members = body.get("members") or []
        if not isinstance(members, list) or not all(isinstance(member, str) for member in members):
            raise ValueError(f"{where}: members must be a list of strings")
        entries[str(name)] = _Entry(country=country, note=note, members=tuple(members))
    return entries
