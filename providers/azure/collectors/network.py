"""Virtual networks and their peerings (a peering to a network in another region is global VNet peering)."""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.records import arm_record
from providers.semantics.records import ResourceRecord

_PROVIDER = "Microsoft.Network"
_PEERING = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"


def collect_virtual_network(work: Work) -> list[ResourceRecord]:
    """The network (``GET``: its ``properties.virtualNetworkPeerings``)."""
    network = work.calls.get(work.subscription, _PROVIDER, work.id, API_VERSIONS["microsoft.network/virtualnetworks"])
    return transform_virtual_network(work.subscription, work.listed, network)


def transform_virtual_network(subscription: str, listed: Any, network: Any) -> list[ResourceRecord]:
    """The network's record and one per peering. A network that could not be read has peerings that are not
    known: its coverage says so (the scope is denied or failed), and the scan is incomplete."""
    if not isinstance(network, dict):
        return [arm_record(subscription, listed, "resources.list")]
    records = [arm_record(subscription, {**listed, **network}, "GET Microsoft.Network/virtualNetworks")]
    for peering in (network.get("properties") or {}).get("virtualNetworkPeerings") or []:
        if isinstance(peering, dict) and isinstance(peering.get("id"), str):
            records.append(arm_record(subscription, {**peering, "type": _PEERING, "parent_id": str(listed["id"])},
                                      "GET Microsoft.Network/virtualNetworks (virtualNetworkPeerings)"))
    return records
