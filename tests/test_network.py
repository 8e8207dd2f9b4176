"""Network paths: peerings, VPNs and interconnects, and where their far ends are placed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import normalised

from providers.interface import ScanOptions
from providers.semantics.classification import ClassificationRules
from providers.semantics.estate import EstateMap, Party
from providers.semantics.network import direct_connect_country, express_route_country
from providers.semantics.records import Placement, Resolved, ResourceRecord
from providers.terraform.hcl_loader import load_directory
from scanner.model import Flow, FlowKind, Inventory, SourceRef

DATA = Path(__file__).resolve().parent.parent / "providers" / "semantics" / "data" / "interconnect_locations.yaml"

AWS = 'provider "aws" {\n  region = "eu-west-2"\n}\n'
AZURE = 'provider "azurerm" {\n  features {}\n}\n'


def scan(tmp_path: Path, hcl: str, estate: EstateMap | None = None) -> Inventory:
    (tmp_path / "main.tf").write_text(hcl, encoding="utf-8")
    result = load_directory(tmp_path)
    assert not result.gaps, result.gaps
    return normalised(result.resources, ScanOptions(estate=estate or EstateMap()))


def flows_of(inventory: Inventory, resource: str) -> list[Flow]:
    return [f for f in inventory.flows if f.resource_id == resource and f.category.value == "network"]


def only(inventory: Inventory, resource: str) -> Flow:
    found = flows_of(inventory, resource)
    assert len(found) == 1, found
    return found[0]


# --- the interconnect catalogue -------------------------------------------------------------------


def test_catalogue_countries_are_quoted_codes() -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    entries = [*raw["express_route"].values(), *raw["direct_connect"]["codes"].values(),
               *raw["direct_connect"]["patterns"]]
    assert entries
    for entry in entries:
        assert isinstance(entry["country"], str) and len(entry["country"]) == 2 and entry["country"].isupper()


@pytest.mark.parametrize(
    ("name", "country"),
    [("London", "GB"), ("london2", "GB"), ("Newport(Wales)", "GB"), ("Newport (Wales)", "GB"),
     ("Amsterdam", "NL"), ("Dublin", "IE"), ("Washington DC", "US"), ("Mumbai", "IN"), ("Atlantis", None)],
)
def test_express_route_locations(name: str, country: str | None) -> None:
    assert express_route_country(name) == country


def test_only_london_and_newport_express_route_locations_are_uk() -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    assert sorted(n for n, e in raw["express_route"].items() if e["country"] == "GB") == [
        "London", "London2", "Newport(Wales)"]


@pytest.mark.parametrize(
    ("code", "country"),
    [("EqLD5", "GB"), ("eqld5", "GB"), ("EqLD8", "GB"), ("EqDC2", "US"), ("EqAM3", "NL"), ("EqLD", None),
     ("TCSH", None), ("LD5", None)],
)
def test_direct_connect_codes(code: str, country: str | None) -> None:
    assert direct_connect_country(code) == country


# --- AWS peering ----------------------------------------------------------------------------------

DWP_VPC = 'resource "aws_vpc" "dwp" {\n  cidr_block = "10.0.0.0/16"\n  tags = { Owner = "DWP" }\n}\n'


def test_vpc_peering_without_peer_region_stays_in_the_requester_region(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
resource "aws_vpc_peering_connection" "p" {
  vpc_id      = aws_vpc.dwp.id
  peer_vpc_id = "vpc-0123"
}
""")
    flow = only(inventory, "aws_vpc.dwp")
    assert flow.kind is FlowKind.PEERING
    assert (flow.target.region, flow.target.uk) == ("eu-west-2", True)
    assert "sets no peer_region" in flow.target.provenance[0]
    assert flow.description == "VPC peering connection (aws_vpc_peering_connection.p)"


def test_vpc_peering_names_the_peer_account(tmp_path: Path) -> None:
    estate = EstateMap(accounts={"111122223333": Party("Offshore MSP", "IN", "estate map")})
    inventory = scan(tmp_path, AWS + DWP_VPC + """
resource "aws_vpc_peering_connection" "known" {
  vpc_id        = aws_vpc.dwp.id
  peer_vpc_id   = "vpc-1"
  peer_owner_id = "111122223333"
  peer_region   = "eu-west-2"
}
resource "aws_vpc_peering_connection" "unmapped" {
  vpc_id        = aws_vpc.dwp.id
  peer_vpc_id   = "vpc-2"
  peer_owner_id = "999988887777"
  peer_region   = "ap-south-1"
}
""", estate)
    descriptions = sorted(f.description for f in flows_of(inventory, "aws_vpc.dwp"))
    assert descriptions == [
        "VPC peering connection with account 111122223333 (Offshore MSP, IN) (aws_vpc_peering_connection.known)",
        "VPC peering connection with account 999988887777 (not in the estate map) "
        "(aws_vpc_peering_connection.unmapped)",
    ]


def test_vpc_peering_region_from_an_unset_variable_is_unknown(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
variable "peer_region" {}
resource "aws_vpc_peering_connection" "p" {
  vpc_id      = aws_vpc.dwp.id
  peer_vpc_id = "vpc-1"
  peer_region = var.peer_region
}
""")
    flow = only(inventory, "aws_vpc.dwp")
    assert flow.target.uk is None and "var.peer_region" in (flow.target.note or "")


def test_accepter_of_a_peering_declared_elsewhere_is_unknown(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
resource "aws_vpc_peering_connection_accepter" "a" {
  vpc_peering_connection_id = "pcx-0123"
  auto_accept               = true
  tags = { Owner = "DWP" }
}
""")
    flow = only(inventory, "aws_vpc_peering_connection_accepter.a")
    assert flow.target.uk is None
    assert "'pcx-0123' is not in the scanned configuration" in (flow.target.note or "")


def test_accepter_of_a_peering_in_the_scan_adds_nothing(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
resource "aws_vpc_peering_connection" "p" {
  vpc_id      = aws_vpc.dwp.id
  peer_vpc_id = "vpc-1"
  peer_region = "us-east-1"
}
resource "aws_vpc_peering_connection_accepter" "a" {
  vpc_peering_connection_id = aws_vpc_peering_connection.p.id
  tags = { Owner = "DWP" }
}
""")
    assert [f.resource_id for f in inventory.flows] == ["aws_vpc.dwp"]


def test_transit_gateway_peering_reaches_attached_vpcs_and_the_accepter_side(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
provider "aws" {
  alias  = "us"
  region = "us-east-1"
}
resource "aws_ec2_transit_gateway" "uk" {}
resource "aws_ec2_transit_gateway" "us" {
  provider = aws.us
  tags = { Owner = "DWP" }
}
resource "aws_ec2_transit_gateway_vpc_attachment" "dwp" {
  transit_gateway_id = aws_ec2_transit_gateway.uk.id
  vpc_id             = aws_vpc.dwp.id
  subnet_ids         = []
}
resource "aws_ec2_transit_gateway_peering_attachment" "p" {
  transit_gateway_id      = aws_ec2_transit_gateway.uk.id
  peer_transit_gateway_id = aws_ec2_transit_gateway.us.id
  peer_region             = "us-east-1"
}
""")
    assert only(inventory, "aws_vpc.dwp").target.region == "us-east-1"
    assert only(inventory, "aws_ec2_transit_gateway.uk").target.region == "us-east-1"
    back = only(inventory, "aws_ec2_transit_gateway.us")
    assert (back.target.region, back.target_id) == ("eu-west-2", "aws_ec2_transit_gateway.uk")


# --- AWS VPN and Direct Connect ---------------------------------------------------------------------


def _vpn(ip: str) -> str:
    return AWS + DWP_VPC + f"""
resource "aws_vpn_gateway" "g" {{
  vpc_id = aws_vpc.dwp.id
}}
resource "aws_customer_gateway" "c" {{
  bgp_asn    = 65000
  ip_address = "{ip}"
  type       = "ipsec.1"
}}
resource "aws_vpn_connection" "v" {{
  vpn_gateway_id      = aws_vpn_gateway.g.id
  customer_gateway_id = aws_customer_gateway.c.id
  type                = "ipsec.1"
}}
"""


def test_vpn_far_end_is_placed_by_the_longest_estate_prefix(tmp_path: Path) -> None:
    estate = EstateMap(networks={
        "203.0.113.0/24": Party("Contractor", "IN", "estate map"),
        "203.0.113.0/28": Party("Contractor UK office", "GB", "estate map"),
    })
    flow = only(scan(tmp_path, _vpn("203.0.113.5"), estate), "aws_vpc.dwp")
    assert (flow.target.cloud, flow.target.region, flow.target.country, flow.target.uk) == (
        "external", "203.0.113.5", "GB", True)
    assert flow.target_id == "aws_customer_gateway.c"


def test_vpn_far_end_with_an_owner_but_no_country_is_unknown(tmp_path: Path) -> None:
    estate = EstateMap(networks={"198.51.100.0/24": Party("Partner", None, "estate map")})
    flow = only(scan(tmp_path, _vpn("198.51.100.9"), estate), "aws_vpc.dwp")
    assert flow.target.uk is None and "names Partner" in (flow.target.note or "")


def test_vpn_far_end_is_never_geolocated(tmp_path: Path) -> None:
    flow = only(scan(tmp_path, _vpn("8.8.8.8")), "aws_vpc.dwp")
    assert flow.target.uk is None and "does not geolocate" in (flow.target.note or "")


def test_direct_connect_location_from_the_estate_map_ignores_case(tmp_path: Path) -> None:
    estate = EstateMap(locations={"tcsh": Party("Telehouse", "GB", "estate map")})
    inventory = scan(tmp_path, AWS + """
resource "aws_dx_connection" "c" {
  name      = "c"
  bandwidth = "1Gbps"
  location  = "TCSH"
  tags = { Owner = "DWP" }
}
""", estate)
    flow = only(inventory, "aws_dx_connection.c")
    assert (flow.kind, flow.target.region, flow.target.uk) == (FlowKind.INTERCONNECT, "TCSH", True)


def test_the_estate_map_overrides_the_catalogue(tmp_path: Path) -> None:
    estate = EstateMap(locations={"EqLD5": Party("Misfiled", "FR", "estate map")})
    inventory = scan(tmp_path, AWS + """
resource "aws_dx_lag" "l" {
  name                  = "l"
  connections_bandwidth = "10Gbps"
  location              = "EqLD5"
  tags = { Owner = "DWP" }
}
""", estate)
    assert only(inventory, "aws_dx_lag.l").target.country == "FR"


def test_virtual_interface_through_a_direct_connect_gateway(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
resource "aws_dx_connection" "c" {
  name      = "c"
  bandwidth = "1Gbps"
  location  = "EqDC2"
}
resource "aws_vpn_gateway" "g" {
  vpc_id = aws_vpc.dwp.id
}
resource "aws_dx_gateway" "dx" {
  name            = "dx"
  amazon_side_asn = "64512"
}
resource "aws_dx_gateway_association" "a" {
  dx_gateway_id         = aws_dx_gateway.dx.id
  associated_gateway_id = aws_vpn_gateway.g.id
}
resource "aws_dx_private_virtual_interface" "v" {
  connection_id  = aws_dx_connection.c.id
  dx_gateway_id  = aws_dx_gateway.dx.id
  name           = "v"
  vlan           = 10
  address_family = "ipv4"
  bgp_asn        = 65000
}
""")
    flow = only(inventory, "aws_vpc.dwp")
    assert (flow.target.region, flow.target.country, flow.target_id) == ("EqDC2", "US", "aws_dx_connection.c")
    # The connection reaches its own facility, and (through the association) the associated gateway's region.
    targets = {(f.target.region, f.target_id) for f in flows_of(inventory, "aws_dx_connection.c")}
    assert targets == {("EqDC2", None), ("eu-west-2", "aws_vpn_gateway.g")}


def test_hosted_virtual_interface_from_another_account_is_unknown(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + DWP_VPC + """
resource "aws_vpn_gateway" "g" {
  vpc_id = aws_vpc.dwp.id
}
resource "aws_dx_hosted_private_virtual_interface_accepter" "a" {
  virtual_interface_id = "dxvif-ffabc123"
  vpn_gateway_id       = aws_vpn_gateway.g.id
}
""")
    flow = only(inventory, "aws_vpc.dwp")
    assert flow.target.uk is None and "ask the connection's owner" in (flow.target.note or "")


# --- AWS Cloud WAN --------------------------------------------------------------------------------


def test_core_network_policy_json_and_base_policy_regions(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + """
resource "aws_networkmanager_core_network" "c" {
  global_network_id   = "global-network-1"
  base_policy_regions = ["eu-west-2"]
  policy_document = jsonencode({
    "core-network-configuration" = {
      "edge-locations" = [{ location = "eu-west-2" }, { location = "ap-south-1" }]
    }
  })
  tags = { Owner = "DWP" }
}
""")
    regions = sorted(f.target.region for f in flows_of(inventory, "aws_networkmanager_core_network.c"))
    assert regions == ["ap-south-1", "eu-west-2", "eu-west-2"]


def test_core_network_policy_that_is_not_json_is_unknown(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AWS + """
resource "aws_networkmanager_core_network" "c" {
  global_network_id = "global-network-1"
  policy_document   = "not json"
  tags = { Owner = "DWP" }
}
""")
    assert only(inventory, "aws_networkmanager_core_network.c").target.uk is None


# --- Azure ----------------------------------------------------------------------------------------

AZ_VNET = AZURE + """
resource "azurerm_virtual_network" "dwp" {
  name                = "vnet-dwp"
  location            = "uksouth"
  resource_group_name = "rg-dwp"
  address_space       = ["10.0.0.0/16"]
  tags = { Owner = "DWP" }
}
"""


def test_vnet_peering_to_a_vnet_outside_the_scan_is_unknown(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AZ_VNET + """
resource "azurerm_virtual_network_peering" "p" {
  name                      = "p"
  resource_group_name       = "rg-dwp"
  virtual_network_name      = "vnet-dwp"
  remote_virtual_network_id = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/far"
}
""")
    flow = only(inventory, "azurerm_virtual_network.dwp")
    assert flow.target.uk is None and flow.description == "VNet peering (azurerm_virtual_network_peering.p)"


def test_hub_connection_and_vpn_site(tmp_path: Path) -> None:
    estate = EstateMap(networks={"192.0.2.0/24": Party("Delivery centre", "PH", "estate map")})
    inventory = scan(tmp_path, AZ_VNET + """
resource "azurerm_virtual_wan" "w" {
  name                = "w"
  resource_group_name = "rg-dwp"
  location            = "uksouth"
}
resource "azurerm_virtual_hub" "h" {
  name                = "h"
  resource_group_name = "rg-dwp"
  location            = "northeurope"
  virtual_wan_id      = azurerm_virtual_wan.w.id
  address_prefix      = "10.9.0.0/23"
}
resource "azurerm_virtual_hub_connection" "c" {
  name                      = "c"
  virtual_hub_id            = azurerm_virtual_hub.h.id
  remote_virtual_network_id = azurerm_virtual_network.dwp.id
}
resource "azurerm_vpn_gateway" "g" {
  name                = "g"
  location            = "northeurope"
  resource_group_name = "rg-dwp"
  virtual_hub_id      = azurerm_virtual_hub.h.id
}
resource "azurerm_vpn_site" "s" {
  name                = "s"
  resource_group_name = "rg-dwp"
  location            = "uksouth"
  virtual_wan_id      = azurerm_virtual_wan.w.id
  link {
    name       = "l"
    ip_address = "192.0.2.10"
  }
}
resource "azurerm_vpn_gateway_connection" "gc" {
  name               = "gc"
  vpn_gateway_id     = azurerm_vpn_gateway.g.id
  remote_vpn_site_id = azurerm_vpn_site.s.id
}
""", estate)
    targets = {(f.kind, f.target.region, f.target.country) for f in flows_of(inventory, "azurerm_virtual_network.dwp")}
    assert targets == {(FlowKind.PEERING, "northeurope", "IE"), (FlowKind.INTERCONNECT, "192.0.2.10", "PH")}


def _gateway(connection: str) -> str:
    return AZ_VNET + """
resource "azurerm_subnet" "gw" {
  name                 = "GatewaySubnet"
  resource_group_name  = "rg-dwp"
  virtual_network_name = azurerm_virtual_network.dwp.name
  address_prefixes     = ["10.0.255.0/27"]
}
resource "azurerm_virtual_network_gateway" "g" {
  name                = "g"
  location            = "uksouth"
  resource_group_name = "rg-dwp"
  type                = "Vpn"
  sku                 = "VpnGw1"
  ip_configuration {
    public_ip_address_id = "pip"
    subnet_id            = azurerm_subnet.gw.id
  }
}
""" + connection


def test_site_to_site_vpn_to_a_local_network_gateway(tmp_path: Path) -> None:
    estate = EstateMap(networks={"198.51.100.0/24": Party("DWP data centre", "GB", "estate map")})
    inventory = scan(tmp_path, _gateway("""
resource "azurerm_local_network_gateway" "onprem" {
  name                = "onprem"
  location            = "uksouth"
  resource_group_name = "rg-dwp"
  gateway_address     = "198.51.100.1"
  address_space       = ["172.16.0.0/12"]
}
resource "azurerm_virtual_network_gateway_connection" "c" {
  name                       = "c"
  location                   = "uksouth"
  resource_group_name        = "rg-dwp"
  type                       = "IPsec"
  virtual_network_gateway_id = azurerm_virtual_network_gateway.g.id
  local_network_gateway_id   = azurerm_local_network_gateway.onprem.id
}
"""), estate)
    flow = only(inventory, "azurerm_virtual_network.dwp")
    assert (flow.target.region, flow.target.uk, flow.target_id) == (
        "198.51.100.1", True, "azurerm_local_network_gateway.onprem")


def test_express_route_direct_port_places_the_circuit(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AZURE + """
resource "azurerm_express_route_port" "p" {
  name                = "p"
  resource_group_name = "rg"
  location            = "uksouth"
  peering_location    = "Frankfurt2"
  bandwidth_in_gbps   = 10
  encapsulation       = "Dot1Q"
}
resource "azurerm_express_route_circuit" "c" {
  name                  = "c"
  resource_group_name   = "rg"
  location              = "uksouth"
  express_route_port_id = azurerm_express_route_port.p.id
  bandwidth_in_gbps     = 5
  tags = { Owner = "DWP" }
}
""")
    flow = only(inventory, "azurerm_express_route_circuit.c")
    assert (flow.target.region, flow.target.country, flow.target_id) == (
        "Frankfurt2", "DE", "azurerm_express_route_port.p")


def test_unknown_express_route_location_asks_for_the_estate_map(tmp_path: Path) -> None:
    inventory = scan(tmp_path, AZURE + """
resource "azurerm_express_route_circuit" "c" {
  name                  = "c"
  resource_group_name   = "rg"
  location              = "uksouth"
  service_provider_name = "Carrier"
  peering_location      = "Atlantis"
  bandwidth_in_mbps     = 50
  tags = { Owner = "DWP" }
}
""")
    flow = only(inventory, "azurerm_express_route_circuit.c")
    assert flow.target.uk is None and "estate.locations" in (flow.target.note or "")


# --- Google ---------------------------------------------------------------------------------------

GCP = 'provider "google" {\n  project = "dwp-prod"\n  region  = "europe-west2"\n}\n'


def _gcp_scan(tmp_path: Path, hcl: str) -> Inventory:
    (tmp_path / "main.tf").write_text(GCP + hcl, encoding="utf-8")
    rules = ClassificationRules(dwp_scopes=frozenset({"dwp-prod"}))
    return normalised(load_directory(tmp_path).resources, ScanOptions(rules=rules))


def test_gcp_peering_to_custom_network_uses_its_subnetworks(tmp_path: Path) -> None:
    inventory = _gcp_scan(tmp_path, """
resource "google_compute_network" "dwp" {
  name                    = "dwp"
  auto_create_subnetworks = false
}
resource "google_compute_network" "peer" {
  project                 = "partner"
  name                    = "peer"
  auto_create_subnetworks = false
}
resource "google_compute_subnetwork" "peer_us" {
  project       = "partner"
  name          = "peer-us"
  network       = google_compute_network.peer.id
  region        = "us-central1"
  ip_cidr_range = "10.1.0.0/24"
}
resource "google_compute_network_peering" "p" {
  name         = "p"
  network      = google_compute_network.dwp.self_link
  peer_network = google_compute_network.peer.self_link
}
resource "google_compute_network_peering" "outside" {
  name         = "outside"
  network      = google_compute_network.dwp.self_link
  peer_network = "projects/other/global/networks/elsewhere"
}
""")
    flow = only(inventory, "google_compute_network.dwp")
    assert (flow.target.region, flow.target_id) == ("us-central1", "google_compute_subnetwork.peer_us")


def test_dedicated_interconnect_location_from_the_estate_map_only(tmp_path: Path) -> None:
    inventory = _gcp_scan(tmp_path, """
resource "google_compute_interconnect" "i" {
  name                 = "i"
  interconnect_type    = "DEDICATED"
  link_type            = "LINK_TYPE_ETHERNET_10G_LR"
  requested_link_count = 1
  location             = "https://www.googleapis.com/compute/v1/projects/dwp-prod/global/interconnectLocations/lhr-zone1-47"
}
""")
    flow = only(inventory, "google_compute_interconnect.i")
    assert (flow.target.region, flow.target.uk) == ("lhr-zone1-47", None)


def test_plan_accepter_knows_the_requester_region() -> None:
    address = "aws_vpc_peering_connection_accepter.a"
    accepter = ResourceRecord(
        address, "aws_vpc_peering_connection_accepter",
        {"vpc_peering_connection_id": "pcx-1", "peer_region": "us-west-2", "peer_owner_id": "999988887777",
         "tags": {"Owner": "DWP"}},
        Placement("aws", Resolved("eu-west-2")), SourceRef("plan.json", None, address),
    )
    flow = only(normalised([accepter], ScanOptions()), address)
    assert (flow.target.region, flow.target.country) == ("us-west-2", "US")
    assert "account 999988887777" in flow.description
