"""Network paths: peerings and interconnects that connect a DWP network to another place.

Hooks used by ``normalise``: ``TARGETS`` (resolvers ``resource_map/network.yaml`` may name) and
``extra_flows`` (paths a map entry cannot express).

A network flow's subject is the network on our side: the VPC or VNet, a gateway and the networks
attached to it, or the connection itself when nothing behind it is in the scan. Its target is where
the far end is. A far end that is not a cloud region (a Direct Connect or ExpressRoute facility, a VPN
peer's address) is placed by the user's estate map first, then by ``providers/semantics/data/
interconnect_locations.yaml``; an IP address is never geolocated. What neither places is unknown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from providers.semantics.context import (
    NormaliseContext,
    flows_of_subjects,
    json_document,
    placed,
    setting,
    values_at,
    with_provenance,
)
from providers.semantics.data_files import data_text
from providers.semantics.estate import Party
from providers.semantics.records import ResourceRecord, Unknown
from providers.semantics.targets import Target, TargetResolver
from scanner.model import Flow, FlowKind, Location
from scanner.yaml_data import load_yaml

_PEERING = FlowKind.PEERING
_INTERCONNECT = FlowKind.INTERCONNECT
_UK = "GB"

# --- the interconnect catalogue ----------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    """interconnect_locations.yaml, indexed."""

    express_route: Mapping[str, str]
    """Squashed ExpressRoute peering location (``newport(wales)``) -> ISO country."""
    dx_codes: Mapping[str, str]
    """Lower-cased Direct Connect location code -> ISO country."""
    dx_patterns: tuple[tuple[re.Pattern[str], str], ...]
    """Whole-code patterns -> ISO country."""


def _squash(name: str) -> str:
    return "".join(name.split()).lower()


@functools.cache
def _catalogue() -> _Catalogue:
    text = data_text("interconnect_locations.yaml")
    raw = load_yaml(text)
    express = {_squash(str(name)): str(entry["country"]) for name, entry in raw["express_route"].items()}
    dx = raw["direct_connect"]
    codes = {str(code).lower(): str(entry["country"]) for code, entry in dx["codes"].items()}
    patterns = tuple((re.compile(p["pattern"], re.IGNORECASE), str(p["country"])) for p in dx["patterns"])
    return _Catalogue(express, codes, patterns)


def express_route_country(name: str) -> str | None:
    """The country of an ExpressRoute peering location the catalogue knows ("London2" -> GB)."""
    return _catalogue().express_route.get(_squash(name))


def direct_connect_country(code: str) -> str | None:
    """The country of a Direct Connect location code the catalogue knows ("EqLD5" -> GB)."""
    catalogue = _catalogue()
    found = catalogue.dx_codes.get(code.strip().lower())
    if found is not None:
        return found
    return next((country for pattern, country in catalogue.dx_patterns if pattern.fullmatch(code.strip())), None)


def _gcp_facility_country(name: str) -> str | None:
    # Google publishes no static list of interconnect locations we could vouch for: the estate map only.
    return None


# --- placing far ends --------------------------------------------------------------------------


def _estate_location(context: NormaliseContext, name: str) -> Party | None:
    found = context.estate.location(name)
    if found is not None:
        return found
    # Users write facility names in whatever case the console showed them.
    wanted = _squash(name)
    return next((party for key, party in context.estate.locations.items() if _squash(key) == wanted), None)


def _from_party(cloud: str, name: str, party: Party, provenance: tuple[str, ...]) -> Location:
    if party.country is None:
        return Location(cloud, name, None, None, provenance,
                        f"the estate map names {party.owner} for {name} but gives no country")
    return Location(cloud, name, party.country, party.country == _UK, provenance)


def _unset(cloud: str, value: Any, provenance: tuple[str, ...], missing: str) -> Location:
    reason = value.reason if isinstance(value, Unknown) else missing
    return Location(cloud, None, None, None, provenance, f"{reason}")


def place_facility(
    context: NormaliseContext,
    cloud: str,
    name: Any,
    provenance: tuple[str, ...],
    what: str,
    known: Callable[[str], str | None],
) -> Location:
    """An interconnect facility: the estate map's ``locations`` first, then the catalogue, else unknown."""
    if not isinstance(name, str) or not name:
        return _unset(cloud, name, provenance, f"the {what} is not set")
    party = _estate_location(context, name)
    if party is not None:
        return _from_party(cloud, name, party, (*provenance, f"estate.locations {name}: {party.owner}"))
    country = known(name)
    if country is not None:
        return Location(cloud, name, country, country == _UK, (*provenance, f"{what} {name} (interconnect catalogue)"))
    return Location(
        cloud, name, None, None, provenance,
        f"{what} {name!r} is not one the scanner can place: add it to estate.locations in "
        f"offshore-scan.yaml with its owner and country",
    )


def place_address(context: NormaliseContext, address: Any, provenance: tuple[str, ...], what: str) -> Location:
    """A VPN peer's address or CIDR, placed only through the estate map's ``networks``."""
    if not isinstance(address, str) or not address:
        return _unset("external", address, provenance, f"{what} is not set")
    party = context.estate.network(address)
    if party is not None:
        return _from_party("external", address, party, (*provenance, f"estate.networks: {party.owner}"))
    return Location(
        "external", address, None, None, provenance,
        f"{what} {address} is not in estate.networks, and the scanner does not geolocate IP "
        f"addresses: add its CIDR to estate.networks in offshore-scan.yaml with the owner and country",
    )


def _dx_location(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    provenance = (setting(record, path, value),)
    return place_facility(context, "aws", value, provenance, "Direct Connect location", direct_connect_country), None


def _express_route_location(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    provenance = (setting(record, path, value),)
    where = place_facility(context, "azure", value, provenance, "ExpressRoute peering location", express_route_country)
    return where, None


def _express_route_port(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    port = _ref(context, value, "azurerm_express_route_port")
    if port is None:
        return _unset("azure", value, (setting(record, path, value),),
                      "the ExpressRoute Direct port is not in the scanned configuration"), None
    where, _ = _express_route_location(context, port, port.values.get("peering_location"), "peering_location")
    return with_provenance(where, (f"port {port.address}", *where.provenance)), port.address


def _gcp_interconnect_location(context: NormaliseContext, record: ResourceRecord, value: Any, path: str) -> Target:
    # `location` is the URL of an interconnectLocations resource; its last segment names the facility.
    name = value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) else value
    provenance = (setting(record, path, value),)
    return place_facility(context, "gcp", name, provenance, "Cloud Interconnect location", _gcp_facility_country), None


TARGETS: dict[str, TargetResolver] = {
    "dx_location": _dx_location,
    "express_route_location": _express_route_location,
    "express_route_port": _express_route_port,
    "gcp_interconnect_location": _gcp_interconnect_location,
}
"""Target resolvers for network far ends, by the name the resource map uses."""


# --- references and the networks behind a gateway ----------------------------------------------

def _ref(context: NormaliseContext, value: Any, *types: str) -> ResourceRecord | None:
    """The record a value points at, if it is of one of ``types`` (any type when none are given)."""
    found = context.referenced(value)
    if found is None or (types and found.type not in types):
        return None
    return found


def _ours(record: ResourceRecord, found: Iterable[ResourceRecord | None]) -> list[ResourceRecord]:
    """The subjects found, managed and once each; the declaring record when none resolves."""
    unique: dict[str, ResourceRecord] = {}
    for item in found:
        if item is not None and item.mode == "managed":
            unique.setdefault(item.address, item)
    return list(unique.values()) or [record]


# (attachment type, attribute naming the gateway, attribute naming the attached network)
_ATTACHMENTS = (
    ("aws_ec2_transit_gateway_vpc_attachment", "transit_gateway_id", "vpc_id"),
    ("aws_vpn_gateway_attachment", "vpn_gateway_id", "vpc_id"),
    ("aws_networkmanager_vpc_attachment", "core_network_id", "vpc_arn"),
)


def _behind(context: NormaliseContext, gateway: ResourceRecord | None) -> list[ResourceRecord]:
    """An AWS gateway (VGW, TGW, Cloud WAN core network) and the VPCs attached to it."""
    if gateway is None:
        return []
    found = [gateway]
    if gateway.type == "aws_vpn_gateway":
        found.append(_ref(context, gateway.values.get("vpc_id"), "aws_vpc"))
    for attachment_type, gateway_key, network_key in _ATTACHMENTS:
        for attachment in context.of_type(attachment_type):
            if _ref(context, attachment.values.get(gateway_key)) is gateway:
                found.append(_ref(context, attachment.values.get(network_key), "aws_vpc"))
    return [item for item in found if item is not None]


def _flows(
    subjects: Sequence[ResourceRecord], target: Target, kind: FlowKind, description: str, record: ResourceRecord
) -> Iterator[Flow]:
    return flows_of_subjects(record, subjects, kind, description, *target)


def _located(context: NormaliseContext, other: ResourceRecord, step: str) -> Target:
    where = context.location(other)
    return with_provenance(where, (step, *where.provenance)), other.address


def _account(context: NormaliseContext, value: Any) -> str:
    """Words for the far end's account, for a flow's description (empty when none is named)."""
    if value is None:
        return ""
    if isinstance(value, Unknown):
        return f" with an account not known statically ({value.reason})"
    party = context.estate.account(str(value))
    if party is None and str(value) in context.own_accounts:
        return f" with account {value} (the estate's own: {context.own_accounts[str(value)]})"
    if party is None:
        return f" with account {value} (not in the estate map)"
    return f" with account {value} ({party.owner}, {party.country or 'country unknown'})"


# --- AWS: VPC and transit gateway peering --------------------------------------------------------


def _peer_region(context: NormaliseContext, record: ResourceRecord, here: ResourceRecord | None) -> Location:
    value = record.values.get("peer_region")
    if value is not None:
        return placed("aws", value, (setting(record, "peer_region", value),))
    # Without peer_region AWS peers within the requester's region.
    own = context.location(here or record)
    return with_provenance(own, (f"{record.address} sets no peer_region: the peer is in the requester's region",
                                 *own.provenance))


def _vpc_peering(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    ours = _ref(context, values.get("vpc_id"), "aws_vpc")
    theirs = _ref(context, values.get("peer_vpc_id"), "aws_vpc")
    description = f"VPC peering connection{_account(context, values.get('peer_owner_id'))} ({record.address})"
    far = _peer_region(context, record, ours)
    yield from _flows(_ours(record, [ours]), (far, theirs.address if theirs else None), _PEERING, description, record)
    if theirs is not None and theirs.mode == "managed":
        # One resource declares both sides: the accepter's VPC reaches the requester's region too.
        near = _located(context, ours or record, f"requester side of {record.address}")
        accepted = f"VPC peering connection (accepter side) ({record.address})"
        yield from _flows([theirs], near, _PEERING, accepted, record)


def _tgw_peering(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    ours = _ref(context, values.get("transit_gateway_id"), "aws_ec2_transit_gateway")
    theirs = _ref(context, values.get("peer_transit_gateway_id"), "aws_ec2_transit_gateway")
    description = (f"transit gateway peering attachment{_account(context, values.get('peer_account_id'))} "
                   f"({record.address})")
    far = _peer_region(context, record, ours)
    subjects = _ours(record, _behind(context, ours))
    yield from _flows(subjects, (far, theirs.address if theirs else None), _PEERING, description, record)
    if theirs is not None and theirs.mode == "managed":
        near = _located(context, ours or record, f"requester side of {record.address}")
        accepted = f"transit gateway peering attachment (accepter side) ({record.address})"
        yield from _flows(_behind(context, theirs), near, _PEERING, accepted, record)


def _accepter(
    connection_key: str, connection_type: str, network_key: str, account_key: str, words: str
) -> Callable[[NormaliseContext, ResourceRecord], Iterator[Flow]]:
    """The accepting side of a peering whose requester is not in the scan (another account's configuration)."""

    def flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
        values = record.values
        if _ref(context, values.get(connection_key), connection_type) is not None:
            return  # the requester's record gives both sides
        subjects = _ours(record, _behind(context, _ref(context, values.get(network_key))))
        region, connection = values.get("peer_region"), values.get(connection_key)
        if region is None:
            shown = connection.reason if isinstance(connection, Unknown) else repr(connection)
            far = Location("aws", None, None, None, (setting(record, connection_key, connection),),
                           f"the requester of {words} {shown} is not in the scanned "
                           "configuration, so its region is unknown (scan its configuration, or a plan)")
        else:
            far = placed("aws", region, (setting(record, "peer_region", region),))
        description = f"{words} accepted{_account(context, values.get(account_key))} ({record.address})"
        yield from _flows(subjects, (far, None), _PEERING, description, record)

    return flows


# --- AWS: Site-to-Site VPN ---------------------------------------------------------------------


def _vpn_connection(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    gateway = (_ref(context, values.get("transit_gateway_id"), "aws_ec2_transit_gateway")
               or _ref(context, values.get("vpn_gateway_id"), "aws_vpn_gateway"))
    customer = _ref(context, values.get("customer_gateway_id"), "aws_customer_gateway")
    if customer is None:
        value = values.get("customer_gateway_id")
        far: Target = (_unset("external", value, (setting(record, "customer_gateway_id", value),),
                              f"customer gateway {value!r} is not in the scanned configuration"), None)
        description = f"Site-to-Site VPN ({record.address})"
    else:
        address = customer.values.get("ip_address")
        provenance = (f"customer gateway {customer.address}", setting(customer, "ip_address", address))
        far = place_address(context, address, provenance, "the customer gateway address"), customer.address
        description = f"Site-to-Site VPN to customer gateway {customer.address} ({record.address})"
    yield from _flows(_ours(record, _behind(context, gateway)), far, _INTERCONNECT, description, record)


# --- AWS: Direct Connect -----------------------------------------------------------------------

_VIF_TYPES = (
    "aws_dx_private_virtual_interface",
    "aws_dx_transit_virtual_interface",
    "aws_dx_public_virtual_interface",
)


def _dx_connection_target(context: NormaliseContext, value: Any) -> Target:
    connection = _ref(context, value, "aws_dx_connection", "aws_dx_lag")
    if connection is None:
        return _unset("aws", value, (f"connection_id = {value!r}",),
                      f"Direct Connect connection {value!r} is not in the scanned configuration, so its location is "
                      "unknown (scan the configuration or the account that holds it)"), None
    location = connection.values.get("location")
    provenance = (f"connection {connection.address}", setting(connection, "location", location))
    return place_facility(context, "aws", location, provenance, "Direct Connect location",
                          direct_connect_country), connection.address


def _vifs_on(context: NormaliseContext, dx_gateway: ResourceRecord | None) -> list[ResourceRecord]:
    if dx_gateway is None:
        return []
    return [vif for vif_type in _VIF_TYPES for vif in context.of_type(vif_type)
            if _ref(context, vif.values.get("dx_gateway_id")) is dx_gateway]


def _behind_dx_gateway(context: NormaliseContext, dx_gateway: ResourceRecord | None) -> list[ResourceRecord]:
    """The networks a Direct Connect gateway reaches: its associated gateways and their VPCs."""
    if dx_gateway is None:
        return []
    found: list[ResourceRecord] = []
    for association in context.of_type("aws_dx_gateway_association"):
        if _ref(context, association.values.get("dx_gateway_id")) is dx_gateway:
            gateway = (_ref(context, association.values.get("associated_gateway_id"))
                       or _ref(context, association.values.get("vpn_gateway_id")))
            found.extend(_behind(context, gateway))
    return found


def _networks_of_vif(context: NormaliseContext, values: Mapping[str, Any]) -> list[ResourceRecord]:
    vgw = _ref(context, values.get("vpn_gateway_id"), "aws_vpn_gateway")
    dx_gateway = _ref(context, values.get("dx_gateway_id"), "aws_dx_gateway")
    return _behind(context, vgw) + _behind_dx_gateway(context, dx_gateway)


def _virtual_interface(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    target = _dx_connection_target(context, record.values.get("connection_id"))
    subjects = _ours(record, _networks_of_vif(context, record.values))
    yield from _flows(subjects, target, _INTERCONNECT, f"Direct Connect virtual interface ({record.address})", record)


def _hosted_interface(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    # Created by the connection's owner for another account: our connection reaches that account's gateway.
    values = record.values
    connection = _ref(context, values.get("connection_id"), "aws_dx_connection", "aws_dx_lag")
    owner = values.get("owner_account_id")
    far = Location("aws", None, None, None, (setting(record, "owner_account_id", owner),),
                   "the virtual interface ends at a gateway of another account, whose region is "
                   "not in the scanned configuration")
    description = f"hosted Direct Connect virtual interface{_account(context, owner)} ({record.address})"
    yield from _flows(_ours(record, [connection]), (far, None), _INTERCONNECT, description, record)


def _hosted_interface_accepter(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    interface = _ref(context, values.get("virtual_interface_id"))
    if interface is not None:
        target = _dx_connection_target(context, interface.values.get("connection_id"))
    else:
        value = values.get("virtual_interface_id")
        target = _unset("aws", value, (setting(record, "virtual_interface_id", value),),
                        f"hosted virtual interface {value!r} belongs to the Direct Connect connection of another "
                        "account, so its location is not in the scanned configuration (ask the connection's owner "
                        "which Direct Connect location it uses)"), None
    subjects = _ours(record, _networks_of_vif(context, values))
    description = f"hosted Direct Connect virtual interface accepted ({record.address})"
    yield from _flows(subjects, target, _INTERCONNECT, description, record)


def _dx_gateway_association(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    dx_gateway = _ref(context, values.get("dx_gateway_id"), "aws_dx_gateway")
    gateway = (_ref(context, values.get("associated_gateway_id"))
               or _ref(context, values.get("vpn_gateway_id")))
    account = _account(context, values.get("associated_gateway_owner_account_id"))
    description = f"Direct Connect gateway association{account} ({record.address})"
    interfaces = _vifs_on(context, dx_gateway)
    connections = [_ref(context, vif.values.get("connection_id"), "aws_dx_connection", "aws_dx_lag")
                   for vif in interfaces]
    if any(connections):
        # The Direct Connect side reaches the associated gateway's region, which may be any region.
        if gateway is not None:
            far = _located(context, gateway, f"associated gateway {gateway.address}")
        else:
            value = values.get("associated_gateway_id")
            far = _unset("aws", value, (setting(record, "associated_gateway_id", value),),
                         f"the associated gateway {value!r} is not in the scanned configuration"), None
        yield from _flows(_ours(record, connections), far, _INTERCONNECT, description, record)
    if gateway is not None and not interfaces:
        # The virtual interfaces (and so the Direct Connect location) are in another configuration.
        unknown = Location("aws", None, None, None, (setting(record, "dx_gateway_id", values.get("dx_gateway_id")),),
                           "no Direct Connect virtual interface on this Direct Connect gateway is "
                           "in the scanned configuration, so the Direct Connect location it reaches is unknown (scan "
                           "the configuration that creates the connection and its virtual interfaces)")
        yield from _flows(_behind(context, gateway), (unknown, None), _INTERCONNECT, description, record)


# --- AWS: Cloud WAN ----------------------------------------------------------------------------


def _edge_locations(context: NormaliseContext, record: ResourceRecord) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every edge location a core network's policy (or base policy) names, with how it was read."""
    values = record.values
    for key in ("base_policy_regions", "base_policy_region"):
        for region in values_at(values, key):
            yield region, (setting(record, key, region),)
    document = values.get("policy_document")
    if document is None:
        return
    source = _ref(context, document, "aws_networkmanager_core_network_policy_document")
    if source is not None:
        for location in values_at(source.values, "core_network_configuration.edge_locations.location"):
            yield location, (f"{source.address} core_network_configuration.edge_locations.location = {location!r}",)
        return
    parsed = json_document(document) if isinstance(document, str) else None
    if not isinstance(parsed, dict):
        reason = document.reason if isinstance(document, Unknown) else "policy_document is not a JSON object"
        yield Unknown(reason), (f"{record.address} policy_document",)
        return
    configuration = parsed.get("core-network-configuration")
    edges = configuration.get("edge-locations") if isinstance(configuration, dict) else None
    for edge in edges if isinstance(edges, list) else []:
        location = edge.get("location") if isinstance(edge, dict) else None
        yield location, (f"{record.address} policy_document edge-locations location = {location!r}",)


def _core_network(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    if record.type == "aws_networkmanager_core_network":
        core: ResourceRecord | None = record
    else:
        core = _ref(context, record.values.get("core_network_id"), "aws_networkmanager_core_network")
    subjects = _ours(record, _behind(context, core))
    description = f"Cloud WAN core network edge location ({record.address})"
    for location, provenance in _edge_locations(context, record):
        yield from _flows(subjects, (placed("aws", location, provenance), None), _INTERCONNECT, description, record)


# --- Azure -------------------------------------------------------------------------------------


def _vnet_named(context: NormaliseContext, name: Any, group: Any) -> ResourceRecord | None:
    """The virtual network a ``virtual_network_name`` (and ``resource_group_name``) names."""
    found = _ref(context, name, "azurerm_virtual_network") if isinstance(name, Unknown) else None
    if found is not None or not isinstance(name, str):
        return found
    for vnet in context.of_type("azurerm_virtual_network"):
        other_group = vnet.values.get("resource_group_name")
        same_group = not isinstance(group, str) or not isinstance(other_group, str) or group == other_group
        if vnet.values.get("name") == name and same_group:
            return vnet
    return None


def _azure_far(context: NormaliseContext, record: ResourceRecord, key: str, types: tuple[str, ...],
               what: str) -> Target:
    value = record.values.get(key)
    other = _ref(context, value, *types)
    if other is None:
        return _unset("azure", value, (setting(record, key, value),),
                      f"the {what} {value!r} is not in the scanned configuration"), None
    return _located(context, other, f"{what} {other.address}")


def _vnet_peering(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    local = _vnet_named(context, values.get("virtual_network_name"), values.get("resource_group_name"))
    far = _azure_far(context, record, "remote_virtual_network_id", ("azurerm_virtual_network",),
                     "remote virtual network")
    here = context.location(local) if local is not None else None
    crosses = here is not None and far[0].region is not None and here.region != far[0].region
    what = "global VNet peering" if crosses else "VNet peering"
    yield from _flows(_ours(record, [local]), far, _PEERING, f"{what} ({record.address})", record)


def _hub_connection(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    network = _ref(context, record.values.get("remote_virtual_network_id"), "azurerm_virtual_network")
    far = _azure_far(context, record, "virtual_hub_id", ("azurerm_virtual_hub",), "virtual hub")
    description = f"Virtual WAN hub connection ({record.address})"
    yield from _flows(_ours(record, [network]), far, _PEERING, description, record)


def _hub_networks(context: NormaliseContext, hub: ResourceRecord | None) -> list[ResourceRecord]:
    if hub is None:
        return []
    return [network for connection in context.of_type("azurerm_virtual_hub_connection")
            if _ref(context, connection.values.get("virtual_hub_id")) is hub
            and (network := _ref(context, connection.values.get("remote_virtual_network_id"))) is not None]


def _vpn_site(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    networks: list[ResourceRecord] = []
    for connection in context.of_type("azurerm_vpn_gateway_connection"):
        if _ref(context, connection.values.get("remote_vpn_site_id")) is record:
            gateway = _ref(context, connection.values.get("vpn_gateway_id"), "azurerm_vpn_gateway")
            hub = _ref(context, gateway.values.get("virtual_hub_id"), "azurerm_virtual_hub") if gateway else None
            networks.extend(_hub_networks(context, hub))
    subjects = _ours(record, networks)
    description = f"Virtual WAN VPN site ({record.address})"
    for address, path in _site_addresses(record):
        far = place_address(context, address, (setting(record, path, address),), "the VPN site address")
        yield from _flows(subjects, (far, None), _INTERCONNECT, description, record)


def _site_addresses(site: ResourceRecord) -> list[tuple[Any, str]]:
    """The far ends of a VPN site: each link's address, else the site's address ranges."""
    links = [(link.get("ip_address") or link.get("fqdn"), "link.ip_address")
             for link in values_at(site.values, "link") if isinstance(link, dict)]
    ranges = [(cidr, "address_cidrs") for cidr in values_at(site.values, "address_cidrs")]
    return links or ranges or [(None, "link.ip_address")]


def _gateway_networks(context: NormaliseContext, gateway: ResourceRecord | None) -> list[ResourceRecord]:
    """A virtual network gateway and the VNet its GatewaySubnet belongs to."""
    if gateway is None:
        return []
    found = [gateway]
    for subnet_id in values_at(gateway.values, "ip_configuration.subnet_id"):
        subnet = _ref(context, subnet_id, "azurerm_subnet")
        if subnet is not None:
            found.append(_vnet_named(context, subnet.values.get("virtual_network_name"),
                                     subnet.values.get("resource_group_name")))
    return [item for item in found if item is not None]


def _circuit_place(context: NormaliseContext, circuit: ResourceRecord) -> Target:
    location = circuit.values.get("peering_location")
    if location is None and circuit.values.get("express_route_port_id") is not None:
        return _express_route_port(context, circuit, circuit.values["express_route_port_id"], "express_route_port_id")
    where, _ = _express_route_location(context, circuit, location, "peering_location")
    return with_provenance(where, (f"circuit {circuit.address}", *where.provenance)), circuit.address


def _gateway_connection(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    gateway = _ref(context, values.get("virtual_network_gateway_id"), "azurerm_virtual_network_gateway")
    subjects = _ours(record, _gateway_networks(context, gateway))
    kind = values.get("type")
    if kind == "ExpressRoute":
        circuit = _ref(context, values.get("express_route_circuit_id"), "azurerm_express_route_circuit")
        far = (_circuit_place(context, circuit) if circuit is not None
               else _azure_far(context, record, "express_route_circuit_id", ("azurerm_express_route_circuit",),
                               "ExpressRoute circuit"))
        what = "ExpressRoute gateway connection"
    elif kind == "Vnet2Vnet":
        far = _azure_far(context, record, "peer_virtual_network_gateway_id", ("azurerm_virtual_network_gateway",),
                         "peer virtual network gateway")
        what = "VNet-to-VNet gateway connection"
    else:
        local = _ref(context, values.get("local_network_gateway_id"), "azurerm_local_network_gateway")
        if local is None:
            far = _azure_far(context, record, "local_network_gateway_id", ("azurerm_local_network_gateway",),
                             "local network gateway")
        else:
            address = local.values.get("gateway_address")
            if address is None:
                address = local.values.get("gateway_fqdn")
            provenance = (f"local network gateway {local.address}", setting(local, "gateway_address", address))
            far = place_address(context, address, provenance, "the local network gateway address"), local.address
        what = "site-to-site VPN gateway connection"
    yield from _flows(subjects, far, _INTERCONNECT, f"{what} ({record.address})", record)


# --- Google ------------------------------------------------------------------------------------


def _gcp_network_peering(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    # VPC networks are global: a peer is placed only where it obviously is (its subnetworks are scanned,
    # or it is an auto-mode network, which has a subnetwork in every region).
    peer = _ref(context, record.values.get("peer_network"), "google_compute_network")
    if peer is None:
        return
    local = _ref(context, record.values.get("network"), "google_compute_network")
    subjects = _ours(record, [local])
    description = f"VPC network peering ({record.address})"
    subnets = [s for s in context.of_type("google_compute_subnetwork")
               if _ref(context, s.values.get("network")) is peer]
    for subnet in subnets:
        yield from _flows(subjects, _located(context, subnet, f"peer subnetwork {subnet.address}"),
                          _PEERING, description, record)
    if not subnets and peer.values.get("auto_create_subnetworks", True) is True:
        everywhere = Location("gcp", "global", None, False, (f"peer network {peer.address} is auto mode",),
                              "an auto-mode VPC network has a subnetwork in every GCP region")
        yield from _flows(subjects, (everywhere, peer.address), _PEERING, description, record)


def _interconnect_attachment(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    values = record.values
    router = _ref(context, values.get("router"), "google_compute_router")
    network = _ref(context, router.values.get("network"), "google_compute_network") if router else None
    subjects = _ours(record, [network])
    region = context.location(record)
    yield from _flows(subjects, (with_provenance(region, (f"VLAN attachment {record.address}", *region.provenance)),
                                 None), _INTERCONNECT, f"Cloud Interconnect VLAN attachment ({record.address})", record)
    interconnect = _ref(context, values.get("interconnect"), "google_compute_interconnect")
    if interconnect is not None:
        far = _gcp_interconnect_location(context, interconnect, interconnect.values.get("location"), "location")
        yield from _flows(subjects, (far[0], interconnect.address), _INTERCONNECT,
                          f"Cloud Interconnect VLAN attachment ({record.address})", record)


# --- dispatch ----------------------------------------------------------------------------------

_HANDLERS: dict[str, Callable[[NormaliseContext, ResourceRecord], Iterator[Flow]]] = {
    "aws_vpc_peering_connection": _vpc_peering,
    "aws_vpc_peering_connection_accepter": _accepter(
        "vpc_peering_connection_id", "aws_vpc_peering_connection", "vpc_id", "peer_owner_id",
        "VPC peering connection"),
    "aws_ec2_transit_gateway_peering_attachment": _tgw_peering,
    "aws_ec2_transit_gateway_peering_attachment_accepter": _accepter(
        "transit_gateway_attachment_id", "aws_ec2_transit_gateway_peering_attachment", "transit_gateway_id",
        "peer_account_id", "transit gateway peering attachment"),
    "aws_vpn_connection": _vpn_connection,
    "aws_dx_private_virtual_interface": _virtual_interface,
    "aws_dx_transit_virtual_interface": _virtual_interface,
    "aws_dx_public_virtual_interface": _virtual_interface,
    "aws_dx_hosted_private_virtual_interface": _hosted_interface,
    "aws_dx_hosted_transit_virtual_interface": _hosted_interface,
    "aws_dx_hosted_public_virtual_interface": _hosted_interface,
    "aws_dx_hosted_private_virtual_interface_accepter": _hosted_interface_accepter,
    "aws_dx_hosted_transit_virtual_interface_accepter": _hosted_interface_accepter,
    "aws_dx_hosted_public_virtual_interface_accepter": _hosted_interface_accepter,
    "aws_dx_gateway_association": _dx_gateway_association,
    "aws_networkmanager_core_network": _core_network,
    "aws_networkmanager_core_network_policy_attachment": _core_network,
    "azurerm_virtual_network_peering": _vnet_peering,
    "azurerm_virtual_hub_connection": _hub_connection,
    "azurerm_vpn_site": _vpn_site,
    "azurerm_virtual_network_gateway_connection": _gateway_connection,
    "google_compute_network_peering": _gcp_network_peering,
    "google_compute_interconnect_attachment": _interconnect_attachment,
}


def extra_flows(context: NormaliseContext, record: ResourceRecord) -> Iterator[Flow]:
    """Network flows of one record beyond what the resource map declares."""
    handler = _HANDLERS.get(record.type)
    if handler is None or record.mode != "managed":
        return iter(())
    return handler(context, record)
