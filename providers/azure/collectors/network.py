"""Virtual networks and their peerings (a peering to a network in another region is global VNet peering)."""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.records import arm_record, with_values
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

_PROVIDER = "Microsoft.Network"
_PEERING = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"


def collect_virtual_network(work: Work) -> list[ResourceRecord]:
    """The network (``GET``: its ``properties.virtualNetworkPeerings``) and its peerings' own listing (the
    peering API, which answers even where a network's answer leaves them out)."""
    version = API_VERSIONS["microsoft.network/virtualnetworks"]
    network = work.calls.get(work.subscription, _PROVIDER, work.id, version)
    peerings = work.calls.listing(work.subscription, _PROVIDER, f"{work.id}/virtualNetworkPeerings", version)
    return transform_virtual_network(work.subscription, work.listed, network, peerings)


def transform_virtual_network(subscription: str, listed: Any, network: Any,
                              peerings: Any = None) -> list[ResourceRecord]:
    """The network's record and one per peering (from either answer, once each). A network whose answers
    failed has peerings that are not known: its coverage says so, and the scan is incomplete."""
    read = isinstance(network, dict)
    records = [arm_record(subscription, {**listed, **network} if read else listed,
                          "GET Microsoft.Network/virtualNetworks" if read else "resources.list")]
    embedded = ((network.get("properties") or {}).get("virtualNetworkPeerings") or []) if read else []
    listed_peerings = peerings if isinstance(peerings, list) else []
    seen: set[str] = set()
    for peering, call in [*((p, "GET Microsoft.Network/virtualNetworks (virtualNetworkPeerings)") for p in embedded),
                          *((p, "GET virtualNetworkPeerings") for p in listed_peerings)]:
        if not isinstance(peering, dict) or not isinstance(peering.get("id"), str) or peering["id"].lower() in seen:
            continue
        seen.add(peering["id"].lower())
        records.append(arm_record(subscription, {**peering, "type": _PEERING, "parent_id": str(listed["id"])}, call))
    failed = next((answer for answer in (network, peerings) if isinstance(answer, Failed)), None)
    if failed is not None and not seen:
        # Neither answer listed a peering and one of them failed: whether the network is peered, and where to, is
        # not known. A peering of unknown remote network stands for it, so the network question stays open.
        unread = arm_record(subscription, {"id": f"{listed['id']}/virtualNetworkPeerings/(unread)", "name": "(unread)",
                                           "type": _PEERING, "parent_id": str(listed["id"])}, "resources.list")
        records.append(with_values(unread, {"remote_virtual_network_id": failed.unknown(
            f"the peerings of {listed['id']}")}, f"{failed.service}:{failed.operation}"))
    return records
