"""Azure SQL: servers and their failover groups (partner servers), databases and their geo-secondaries."""

from __future__ import annotations

from typing import Any

from providers.azure.collectors import API_VERSIONS, Work
from providers.azure.records import arm_record
from providers.live.failed import Failed
from providers.semantics.records import ResourceRecord

_PROVIDER = "Microsoft.Sql"
_VERSION = API_VERSIONS["microsoft.sql/servers"]


def collect_server(work: Work) -> list[ResourceRecord]:
    """The server (``GET``) and its failover groups."""
    server = work.calls.get(work.subscription, _PROVIDER, work.id, _VERSION)
    groups = work.calls.listing(work.subscription, _PROVIDER, f"{work.id}/failoverGroups", _VERSION)
    return transform_server(work.subscription, work.listed, server, groups)


def transform_server(subscription: str, listed: Any, server: Any, groups: Any) -> list[ResourceRecord]:
    """The server's record, one record per failover group, and one per partner server (placed by the
    location the failover group gives it; a partner read in its own subscription wins over it).
    A failover group listing that failed is a failover whose partner is unknown."""
    source = {**listed, **server} if isinstance(server, dict) else dict(listed)
    records = [arm_record(subscription, source, "GET Microsoft.Sql/servers" if isinstance(server, dict)
                          else "resources.list")]
    server_id = str(listed["id"])
    if isinstance(groups, Failed):
        records.append(arm_record(subscription, {
            "id": f"{server_id}/failoverGroups/(unread)", "type": "Microsoft.Sql/servers/failoverGroups",
            "parent_id": server_id, "properties": {"partnerServers": [{"id": groups.unknown("the failover groups")}]},
        }, "GET failoverGroups"))
        return records
    for group in groups or []:
        records.append(arm_record(subscription, {**group, "type": "Microsoft.Sql/servers/failoverGroups",
                                                 "parent_id": server_id}, "GET failoverGroups"))
        for partner in (group.get("properties") or {}).get("partnerServers") or []:
            if isinstance(partner, dict) and isinstance(partner.get("id"), str):
                records.append(arm_record(subscription, {
                    "id": partner["id"], "type": "Microsoft.Sql/servers",
                    "name": partner["id"].rstrip("/").rsplit("/", 1)[-1], "location": partner.get("location"),
                }, f"GET failoverGroups ({group.get('name')}: partnerServers)"))
    return records


def collect_database(work: Work) -> list[ResourceRecord]:
    """The database (as listed: it carries its location and tags) and its geo-replication links."""
    links = work.calls.listing(work.subscription, _PROVIDER, f"{work.id}/replicationLinks", _VERSION)
    return transform_database(work.subscription, work.listed, links)


def transform_database(subscription: str, listed: Any, links: Any) -> list[ResourceRecord]:
    """The database's record, and one record per partner of its geo-replication links, placed by the link's
    ``partnerLocation``: a geo-secondary it feeds (a database created as its ``Secondary``), or the primary it
    is a copy of, which holds the same data and so carries the DWP database's tags."""
    database_id = str(listed["id"])
    server_id = database_id.rsplit("/databases/", 1)[0]
    records = [arm_record(subscription, listed, "resources.list", extra={"server_id": server_id})]
    if isinstance(links, Failed):
        records.append(arm_record(subscription, {
            "id": f"{database_id}/replicationLinks/(unread)", "type": "Microsoft.Sql/servers/databases",
            "location": links.unknown("the geo-replication links"),
            "properties": {"createMode": "Secondary", "sourceDatabaseId": database_id},
        }, "GET replicationLinks"))
        return records
    for link in links or []:
        properties = link.get("properties") or {}
        role = str(properties.get("partnerRole", "")).lower()
        if role not in ("secondary", "primary"):
            continue  # a link being torn down, or a role ARM may add later: the database itself is still judged
        partner = properties.get("partnerDatabaseId") or (
            f"{link['id']} (partner {properties.get('partnerServer')}/{properties.get('partnerDatabase')})")
        placed = {"id": partner, "type": "Microsoft.Sql/servers/databases", "name": properties.get("partnerDatabase"),
                  "location": properties.get("partnerLocation")}
        if role == "secondary":
            records.append(arm_record(subscription, {
                **placed, "properties": {"createMode": "Secondary", "sourceDatabaseId": database_id},
            }, f"GET replicationLinks ({link.get('name')})"))
        else:
            records.append(arm_record(subscription, {**placed, "tags": listed.get("tags") or {}},
                                      f"GET replicationLinks ({link.get('name')}: the primary of geo-secondary "
                                      f"{database_id}, the same data)"))
    return records
