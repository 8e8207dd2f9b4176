"""OpenSearch Service: cross-cluster connections of DWP domains (``DescribeOutboundConnections`` where the DWP
domain is the local one, ``DescribeInboundConnections`` where it is the remote one), as
``aws_opensearch_outbound_connection`` (``local_domain_info``, ``remote_domain_info``, ``connection_mode``).

A connection lets one domain search, or replicate from, the other: a DWP domain connected to a domain in another
region or account is a path for its data, judged by the net beneath the resource map as the Terraform resource is
(``fixtures/net-aws-long-tail``). Both ends of a connection see it under one id: it is recorded once, in the
requesting (local) domain's account and region, however many of its ends the scan reads. Two calls per region
holding DWP domains (filtered by their names, twenty to a call), whatever else the account holds. The domains
themselves are read by the generic reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "opensearch"
_BATCH = 20
"""Domain names per filter: a handful of DWP domains per region is the norm."""
_GONE = frozenset({"DELETED", "REJECTED", "VALIDATION_FAILED"})
"""Connection states that connect nothing."""
_DIRECTIONS = {"outbound": ("describe_outbound_connections", "local-domain-info.domain-name"),
               "inbound": ("describe_inbound_connections", "remote-domain-info.domain-name")}
"""Per direction, the call and the filter naming the DWP end of the connection."""


def _operation(direction: str) -> str:
    return "DescribeOutboundConnections" if direction == "outbound" else "DescribeInboundConnections"


def domain_names(arns: tuple[str, ...]) -> list[str]:
    """The names of the DWP domains among ``arns``."""
    return sorted({parsed.name for arn in arns if (parsed := parse_arn(arn)) is not None and parsed.kind == "domain"})


def fetch_connections(work: Work, direction: str, names: list[str]) -> list[Any] | Failed:
    """The connections in ``direction`` of the named domains."""
    name = _DIRECTIONS[direction][1]
    client = work.client(SERVICE)
    found: list[Any] = []
    for start in range(0, len(names), _BATCH):
        # botocore has no paginator for these: NextToken followed by the shared pager, which also refuses a
        # connection without its id (a damaged answer, never one skipped) and a token given twice.
        answer = client.pages(_DIRECTIONS[direction][0], "Connections", expect=("ConnectionId",), token="NextToken",
                              Filters=[{"Name": name, "Values": names[start:start + _BATCH]}])
        if isinstance(answer, Failed):
            return answer
        found.extend(answer or [])
    return found


def _domain(info: Any) -> dict[str, Any]:
    """``LocalDomainInfo``/``RemoteDomainInfo`` as a ``*_domain_info`` block."""
    aws = (info or {}).get("AWSDomainInformation") or {} if isinstance(info, Mapping) else {}
    return {"owner_id": aws.get("OwnerId"), "region": aws.get("Region"), "domain_name": aws.get("DomainName")}


def _address(where: Scope, domain: Any, connection_id: str) -> str:
    """The connection's address, the same from both of its ends: its local domain's ARN and its id."""
    return f"arn:aws:es:{where.region}:{where.account}:domain/{domain}?connection/{connection_id}"


def translate_connections(scope: Scope, direction: str, connections: list[Any]) -> list[ResourceRecord]:
    """Each live connection as the outbound connection that made it, in the local domain's account and region."""
    call = f"opensearch:{_operation(direction)}"
    records = []
    for connection in connections:
        status = (connection.get("ConnectionStatus") or {}).get("StatusCode")
        if status in _GONE or not connection.get("ConnectionId"):
            continue
        local, remote = _domain(connection.get("LocalDomainInfo")), _domain(connection.get("RemoteDomainInfo"))
        where = Scope(local["owner_id"] or scope.account, local["region"] or scope.region)
        values = {"id": connection["ConnectionId"], "connection_alias": connection.get("ConnectionAlias"),
                  "connection_mode": connection.get("ConnectionMode"), "connection_status": status,
                  "local_domain_info": [local], "remote_domain_info": [remote]}
        records.append(live_record(where, "", "aws_opensearch_outbound_connection", values, call,
                                   address=_address(where, local["domain_name"], connection["ConnectionId"]),
                                   asked=scope, fields={
                                       "local_domain_info.region": "Connections[].LocalDomainInfo."
                                                                   "AWSDomainInformation.Region",
                                       "remote_domain_info.region": "Connections[].RemoteDomainInfo."
                                                                    "AWSDomainInformation.Region",
                                       "remote_domain_info.owner_id": "Connections[].RemoteDomainInfo."
                                                                      "AWSDomainInformation.OwnerId"}))
    return records


def unread_connections(scope: Scope, direction: str, names: list[str], failed: Failed) -> list[ResourceRecord]:
    """Connections that could not be listed: each DWP domain connected to a domain somewhere unknown."""
    unknown = failed.unknown(f"the {direction} cross-cluster connections of the region's DWP domains")
    other: dict[str, Any] = {"owner_id": unknown, "region": unknown, "domain_name": unknown}
    records = []
    for name in names:
        own = {"owner_id": scope.account, "region": scope.region, "domain_name": name}
        local, remote = (own, other) if direction == "outbound" else (other, own)
        values = {"id": unknown, "connection_alias": None, "connection_mode": None,
                  "local_domain_info": [local], "remote_domain_info": [remote]}
        records.append(live_record(scope, "", "aws_opensearch_outbound_connection", values,
                                   f"opensearch:{_operation(direction)}",
                                   address=f"arn:aws:es:{scope.region}:{scope.account}:domain/{name}?{direction}",
                                   stand_in=True))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """The cross-cluster connections of one (account, region)'s DWP domains, both ways."""
    names = domain_names(work.arns)
    if not names:
        return []
    records = []
    for direction in _DIRECTIONS:
        answer = fetch_connections(work, direction, names)
        records.extend(unread_connections(work.scope, direction, names, answer) if isinstance(answer, Failed)
                       else translate_connections(work.scope, direction, answer))
    return records
