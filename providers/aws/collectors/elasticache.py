"""ElastiCache: each DWP replication group (``DescribeReplicationGroups``) and the global datastore it belongs to
(``DescribeGlobalReplicationGroups`` with ``ShowMemberInfo``), as ``aws_elasticache_replication_group``,
``aws_elasticache_global_replication_group`` and the datastore's other members.

Every member of a global datastore holds the same data (``replication.yaml``: members are each other's peers), so a
member outside the UK is replication of the DWP member, and DWP as its copy. The datastore is listed in each of its
members' regions but belongs to its primary member's region: it is recorded there, by its own ARN, so reading it
from two regions gives one record. One call per DWP replication group and one per global datastore they belong to,
whatever else the account holds. This collector reads replication groups closely, so the generic reader (Cloud
Control) does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record, located_record
from providers.semantics.records import ResourceRecord

SERVICE = "elasticache"
_GROUPS = "elasticache:DescribeReplicationGroups"
_GLOBAL = "elasticache:DescribeGlobalReplicationGroups"
_LOG_DESTINATIONS = {"cloudwatch-logs": ("CloudWatchLogsDetails", "LogGroup"),
                     "kinesis-firehose": ("KinesisFirehoseDetails", "DeliveryStream")}


@dataclass(frozen=True)
class GroupResponses:
    """The answers about one region's DWP replication groups and the global datastores they belong to."""

    groups: Mapping[str, list[Any] | Failed | None]
    """``DescribeReplicationGroups`` by the group's ARN (``None``: the group is gone)."""
    global_groups: Mapping[str, list[Any] | Failed | None]
    """``DescribeGlobalReplicationGroups`` by global datastore id."""


def member_arn(region: str, account: str, group_id: str) -> str:
    """A replication group's ARN, from the region and id a global datastore's member list gives."""
    return f"arn:aws:elasticache:{region}:{account}:replicationgroup:{group_id}"


def global_arn(account: str, global_id: str) -> str:
    """A global datastore's ARN (it names no region)."""
    return f"arn:aws:elasticache::{account}:globalreplicationgroup:{global_id}"


def _global_id(group: Mapping[str, Any]) -> str | None:
    info = group.get("GlobalReplicationGroupInfo") or {}
    found = info.get("GlobalReplicationGroupId") if isinstance(info, Mapping) else None
    return found or None


def fetch_groups(work: Work) -> GroupResponses:
    """The DWP replication groups of the region by id, then each global datastore one of them belongs to."""
    client = work.client(SERVICE)
    groups: dict[str, list[Any] | Failed | None] = {}
    for arn in work.arns:
        parsed = parse_arn(arn)
        if parsed is not None and parsed.kind == "replicationgroup":
            groups[arn] = client.pages("describe_replication_groups", "ReplicationGroups",
                                       absent=("ReplicationGroupNotFoundFault",), expect=("ReplicationGroupId",),
                                       ReplicationGroupId=parsed.name)
    wanted = sorted({found for answer in groups.values() if isinstance(answer, list)
                     for group in answer if (found := _global_id(group))})
    global_groups = {global_id: client.pages("describe_global_replication_groups", "GlobalReplicationGroups",
                                             absent=("GlobalReplicationGroupNotFoundFault",),
                                             expect=("GlobalReplicationGroupId",),
                                             GlobalReplicationGroupId=global_id, ShowMemberInfo=True)
                     for global_id in wanted}
    return GroupResponses(groups, global_groups)


def _log_delivery(group: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``LogDeliveryConfigurations`` as the schema's ``log_delivery_configuration`` blocks."""
    blocks = []
    for item in group.get("LogDeliveryConfigurations") or []:
        kind = item.get("DestinationType")
        detail, member = _LOG_DESTINATIONS.get(kind, ("", ""))
        details = (item.get("DestinationDetails") or {}).get(detail) or {}
        blocks.append({"destination": details.get(member), "destination_type": kind,
                       "log_format": item.get("LogFormat"), "log_type": item.get("LogType")})
    return blocks


def translate_group(scope: Scope, arn: str, answer: list[Any] | Failed | None,
                    tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """One DWP replication group; an unreadable one is placed by its ARN, saying which call failed."""
    if isinstance(answer, Failed):
        return [located_record(scope, arn, "aws_elasticache_replication_group", tags.get(arn) or {}, _GROUPS,
                               answer.unknown(f"the replication group {arn}"))]
    records = []
    for group in (answer or [])[:1]:
        values = {"replication_group_id": group["ReplicationGroupId"], "id": group["ReplicationGroupId"],
                  "description": group.get("Description"), "engine": group.get("Engine"),
                  "node_type": group.get("CacheNodeType"),
                  "at_rest_encryption_enabled": group.get("AtRestEncryptionEnabled"),
                  "transit_encryption_enabled": group.get("TransitEncryptionEnabled"),
                  "kms_key_id": group.get("KmsKeyId"), "global_replication_group_id": _global_id(group),
                  "log_delivery_configuration": _log_delivery(group), "tags": dict(tags.get(arn) or {})}
        records.append(live_record(scope, group.get("ARN") or arn, "aws_elasticache_replication_group", values,
                                   _GROUPS, fields={
                                       "global_replication_group_id":
                                           "ReplicationGroups[].GlobalReplicationGroupInfo.GlobalReplicationGroupId",
                                       "kms_key_id": "ReplicationGroups[].KmsKeyId"}))
    return records


def translate_global_group(scope: Scope, global_id: str, answer: list[Any] | Failed | None,
                           read_here: frozenset[str]) -> list[ResourceRecord]:
    """The global datastore, placed in its primary member's region, and its members other than the ones read
    closely here (``read_here``), each where its region says. An unreadable datastore is one whose members are
    in unknown places: a placeholder member, placed nowhere known, stands for them."""
    if isinstance(answer, Failed):
        unknown = answer.unknown(f"the members of the ElastiCache global datastore {global_id}")
        address = global_arn(scope.account, global_id)
        group = live_record(scope, address, "aws_elasticache_global_replication_group",
                            {"global_replication_group_id": global_id, "primary_replication_group_id": unknown},
                            _GLOBAL, region=unknown, how=(f"{_GLOBAL} failed: {unknown.reason}",))
        members = live_record(scope, "", "aws_elasticache_replication_group",
                              {"replication_group_id": unknown, "global_replication_group_id": global_id},
                              _GLOBAL, address=f"{address}?members", region=unknown, stand_in=True,
                              how=(f"{_GLOBAL} failed: {unknown.reason}",))
        return [group, members]
    records = []
    for group in (answer or [])[:1]:
        members = [m for m in group.get("Members") or [] if isinstance(m, Mapping) and m.get("ReplicationGroupId")]
        primary = next((m for m in members if m.get("Role") == "PRIMARY"), None)
        primary_arn = member_arn(primary.get("ReplicationGroupRegion") or scope.region, scope.account,
                                 primary["ReplicationGroupId"]) if primary else None
        home = Scope(scope.account, (primary or {}).get("ReplicationGroupRegion") or scope.region)
        records.append(live_record(home, group.get("ARN") or global_arn(scope.account, global_id),
                                   "aws_elasticache_global_replication_group",
                                   {"global_replication_group_id": global_id,
                                    "primary_replication_group_id": primary_arn,
                                    "engine": group.get("Engine"),
                                    "at_rest_encryption_enabled": group.get("AtRestEncryptionEnabled"),
                                    "transit_encryption_enabled": group.get("TransitEncryptionEnabled")},
                                   _GLOBAL, asked=scope, fields={
                                       "primary_replication_group_id": "GlobalReplicationGroups[].Members[].Role"}))
        for index, member in enumerate(members):
            region = member.get("ReplicationGroupRegion") or scope.region
            arn = member_arn(region, scope.account, member["ReplicationGroupId"])
            if arn in read_here:
                continue
            field = f"GlobalReplicationGroups[].Members[{index}].ReplicationGroupRegion"
            records.append(live_record(Scope(scope.account, region), arn, "aws_elasticache_replication_group",
                                       {"replication_group_id": member["ReplicationGroupId"],
                                        "global_replication_group_id": global_id}, _GLOBAL, asked=scope,
                                       how=(f"{_GLOBAL} {global_id} {field} = {region!r} (account {scope.account}, "
                                            f"region {scope.region})",)))
    return records


def translate_groups(scope: Scope, answers: GroupResponses,
                     tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Records of one region's answers."""
    records = [record for arn, answer in answers.groups.items() for record in translate_group(scope, arn, answer, tags)]
    read_here = frozenset(r.address for r in records)
    for global_id, answer in answers.global_groups.items():
        records.extend(translate_global_group(scope, global_id, answer, read_here))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """ElastiCache for one (account, region)."""
    return translate_groups(work.scope, fetch_groups(work), work.tags)
