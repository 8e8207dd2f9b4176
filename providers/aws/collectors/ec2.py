"""EC2 networking: VPC peering connections and transit gateway peering attachments of the region, the
VPCs on our side of them (and DWP VPCs), and the VPCs attached to a peered transit gateway.

Run in every enabled region: one call per kind of peering, then only the VPCs they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "ec2"
_LIVE = ("active", "pending-acceptance", "provisioning", "initiating-request", "pendingAcceptance", "available",
         "pending", "initiating", "modifying")


@dataclass(frozen=True)
class NetworkResponses:
    """The answers of one region."""

    peerings: list[Any] | Failed | None
    tgw_peerings: list[Any] | Failed | None
    tgw_attachments: list[Any] | Failed | None
    vpcs: list[Any] | Failed | None


def _ours(info: Mapping[str, Any], scope: Scope) -> bool:
    return info.get("OwnerId", scope.account) == scope.account and info.get("Region", scope.region) == scope.region


def fetch_network(work: Work) -> NetworkResponses:
    """Peerings of the region, then the VPCs they (and the DWP VPCs) name."""
    ec2 = work.client(SERVICE)
    peerings = ec2.pages("describe_vpc_peering_connections", "VpcPeeringConnections")
    tgw = ec2.pages("describe_transit_gateway_peering_attachments", "TransitGatewayPeeringAttachments")
    gateways = sorted({side["TransitGatewayId"] for item in (tgw if isinstance(tgw, list) else [])
                       for side in (item.get("RequesterTgwInfo") or {}, item.get("AccepterTgwInfo") or {})
                       if side.get("TransitGatewayId") and _ours(side, work.scope)})
    attachments = (ec2.pages("describe_transit_gateway_vpc_attachments", "TransitGatewayVpcAttachments",
                             Filters=[{"Name": "transit-gateway-id", "Values": gateways}]) if gateways else None)
    wanted = {a.rsplit("/", 1)[-1] for a in work.arns if (p := parse_arn(a)) is not None and p.kind == "vpc"}
    for item in peerings if isinstance(peerings, list) else []:
        for side in (item.get("RequesterVpcInfo") or {}, item.get("AccepterVpcInfo") or {}):
            if side.get("VpcId") and _ours(side, work.scope):
                wanted.add(side["VpcId"])
    wanted.update(a["VpcId"] for a in (attachments if isinstance(attachments, list) else []) if a.get("VpcId"))
    vpcs = ec2.pages("describe_vpcs", "Vpcs", VpcIds=sorted(wanted)) if wanted else None
    return NetworkResponses(peerings, tgw, attachments, vpcs)


def _vpc_arn(scope: Scope, vpc_id: str) -> str:
    return f"arn:aws:ec2:{scope.region}:{scope.account}:vpc/{vpc_id}"


def translate_network(scope: Scope, answers: NetworkResponses,
                      tags: Mapping[str, Mapping[str, str]] | None = None) -> list[ResourceRecord]:
    """Peerings as ``aws_vpc_peering_connection`` (we request) or ``..._accepter`` (we accept), and the same for
    transit gateways; VPCs as ``aws_vpc``. ``tags`` are the Tagging API's (the peering answers do not carry the
    transit gateways' own tags)."""
    records = []
    for vpc in answers.vpcs if isinstance(answers.vpcs, list) else []:
        values = {"id": vpc["VpcId"], "cidr_block": vpc.get("CidrBlock"), "tags": tag_map(vpc.get("Tags"))}
        records.append(live_record(scope, _vpc_arn(scope, vpc["VpcId"]), "aws_vpc", values, "ec2:DescribeVpcs"))
    for item in answers.peerings if isinstance(answers.peerings, list) else []:
        if (item.get("Status") or {}).get("Code", "active") not in _LIVE:
            continue
        requester, accepter = item.get("RequesterVpcInfo") or {}, item.get("AccepterVpcInfo") or {}
        pcx = item["VpcPeeringConnectionId"]
        arn = f"arn:aws:ec2:{scope.region}:{scope.account}:vpc-peering-connection/{pcx}"
        tags = tag_map(item.get("Tags"))
        if _ours(requester, scope):
            values = {"id": pcx, "vpc_id": requester.get("VpcId"), "peer_vpc_id": accepter.get("VpcId"),
                      "peer_owner_id": accepter.get("OwnerId"), "peer_region": accepter.get("Region"), "tags": tags}
            records.append(live_record(scope, arn, "aws_vpc_peering_connection", values,
                                       "ec2:DescribeVpcPeeringConnections", fields=_sides("Requester", "Accepter")))
        elif _ours(accepter, scope):
            values = {"vpc_peering_connection_id": pcx, "vpc_id": accepter.get("VpcId"),
                      "peer_vpc_id": requester.get("VpcId"), "peer_owner_id": requester.get("OwnerId"),
                      "peer_region": requester.get("Region"), "tags": tags}
            records.append(live_record(scope, "", "aws_vpc_peering_connection_accepter", values,
                                       "ec2:DescribeVpcPeeringConnections", address=f"{arn}?accepter",
                                       fields=_sides("Accepter", "Requester")))
    records.extend(_transit(scope, answers, tags or {}))
    return records


def _sides(own: str, peer: str) -> dict[str, str]:
    """Which field of a peering answer gave each attribute: our side's VPC, the peer's VPC, owner and region."""
    prefix = f"VpcPeeringConnections[].{peer}VpcInfo"
    return {"vpc_id": f"VpcPeeringConnections[].{own}VpcInfo.VpcId", "peer_vpc_id": f"{prefix}.VpcId",
            "peer_owner_id": f"{prefix}.OwnerId", "peer_region": f"{prefix}.Region"}


def _transit(scope: Scope, answers: NetworkResponses, tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    records = []
    gateways: set[str] = set()
    for item in answers.tgw_peerings if isinstance(answers.tgw_peerings, list) else []:
        if item.get("State", "available") not in _LIVE or not (item.get("RequesterTgwInfo")
                                                                and item.get("AccepterTgwInfo")):
            continue  # not a peering attachment (moto also answers the gateway's VPC attachments here)
        requester, accepter = item["RequesterTgwInfo"], item["AccepterTgwInfo"]
        attachment = item["TransitGatewayAttachmentId"]
        arn = f"arn:aws:ec2:{scope.region}:{scope.account}:transit-gateway-attachment/{attachment}"
        if _ours(requester, scope):
            gateways.add(requester["TransitGatewayId"])
            values = {"id": attachment, "transit_gateway_id": requester["TransitGatewayId"],
                      "peer_transit_gateway_id": accepter.get("TransitGatewayId"),
                      "peer_account_id": accepter.get("OwnerId"), "peer_region": accepter.get("Region"),
                      "tags": tag_map(item.get("Tags"))}
            records.append(live_record(scope, arn, "aws_ec2_transit_gateway_peering_attachment", values,
                                       "ec2:DescribeTransitGatewayPeeringAttachments", fields=_gateways("Accepter")))
        elif _ours(accepter, scope):
            gateways.add(accepter["TransitGatewayId"])
            values = {"transit_gateway_attachment_id": attachment, "transit_gateway_id": accepter["TransitGatewayId"],
                      "peer_transit_gateway_id": requester.get("TransitGatewayId"),
                      "peer_account_id": requester.get("OwnerId"), "peer_region": requester.get("Region"),
                      "tags": tag_map(item.get("Tags"))}
            records.append(live_record(scope, "", "aws_ec2_transit_gateway_peering_attachment_accepter", values,
                                       "ec2:DescribeTransitGatewayPeeringAttachments", address=f"{arn}?accepter",
                                       fields=_gateways("Requester")))
    for gateway in sorted(gateways):
        arn = f"arn:aws:ec2:{scope.region}:{scope.account}:transit-gateway/{gateway}"
        records.append(live_record(scope, arn, "aws_ec2_transit_gateway",
                                   {"id": gateway, "tags": dict(tags.get(arn) or {})},
                                   "ec2:DescribeTransitGatewayPeeringAttachments"))
    for item in answers.tgw_attachments if isinstance(answers.tgw_attachments, list) else []:
        if not item.get("VpcId"):
            continue  # not a VPC attachment (moto also answers the gateway's peering attachments here)
        attachment = item["TransitGatewayAttachmentId"]
        values = {"id": attachment, "transit_gateway_id": item.get("TransitGatewayId"), "vpc_id": item.get("VpcId")}
        records.append(live_record(scope, f"arn:aws:ec2:{scope.region}:{scope.account}:transit-gateway-attachment/"
                                   f"{attachment}", "aws_ec2_transit_gateway_vpc_attachment", values,
                                   "ec2:DescribeTransitGatewayVpcAttachments"))
    return records


def _gateways(peer: str) -> dict[str, str]:
    prefix = f"TransitGatewayPeeringAttachments[].{peer}TgwInfo"
    return {"peer_transit_gateway_id": f"{prefix}.TransitGatewayId", "peer_account_id": f"{prefix}.OwnerId",
            "peer_region": f"{prefix}.Region"}


def collect(work: Work) -> list[ResourceRecord]:
    """EC2 networking for one (account, region)."""
    return translate_network(work.scope, fetch_network(work), work.tags)
