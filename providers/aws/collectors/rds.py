"""RDS and Aurora: read replicas (in any region), automated backups replicated to another region, Aurora
replica clusters and global databases.

A database's answer names its replicas; each becomes a record where the replica is (the region of its
ARN), saying what it replicates, as Terraform's ``replicate_source_db`` would. Nothing more is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record, located_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "rds"
_BATCH = 100
"""DescribeDBInstances and DescribeDBClusters take at most 100 identifiers per filter."""


@dataclass(frozen=True)
class RdsResponses:
    """The answers of one region: instances, clusters and (when clusters were asked) global clusters."""

    instances: list[Any] | Failed
    clusters: list[Any] | Failed
    global_clusters: list[Any] | Failed


def _batched(items: Sequence[str]) -> list[list[str]]:
    return [list(items[i:i + _BATCH]) for i in range(0, len(items), _BATCH)]


def fetch_rds(work: Work) -> RdsResponses:
    """The DWP instances and clusters of the region, by ARN, a hundred per call."""
    rds = work.client(SERVICE)
    kinds: dict[str, list[str]] = {"db": [], "cluster": []}
    for arn in work.arns:
        parsed = parse_arn(arn)
        if parsed is not None and parsed.kind in kinds:
            kinds[parsed.kind].append(arn)

    def described(method: str, key: str, name: str, arns: list[str]) -> list[Any] | Failed:
        found: list[Any] = []
        for batch in _batched(arns):
            page = rds.pages(method, key, Filters=[{"Name": name, "Values": batch}])
            if isinstance(page, Failed):
                return page
            found.extend(page or [])
        return found

    instances = described("describe_db_instances", "DBInstances", "db-instance-id", kinds["db"])
    clusters = described("describe_db_clusters", "DBClusters", "db-cluster-id", kinds["cluster"])
    global_clusters: list[Any] | Failed = []
    if kinds["cluster"]:
        global_clusters = rds.pages("describe_global_clusters", "GlobalClusters") or []
    return RdsResponses(instances, clusters, global_clusters)


def _elsewhere(scope: Scope, value: str, kind: str) -> tuple[Scope, str]:
    """Where a replica named by ARN (another region) or by identifier (this region) is, and its ARN."""
    parsed = parse_arn(value)
    if parsed is not None:
        return Scope(parsed.account or scope.account, parsed.region or scope.region), value
    return scope, f"arn:aws:rds:{scope.region}:{scope.account}:{kind}:{value}"


def _named(scope: Scope, call: str, arn: str, field: str, value: str) -> tuple[str, ...]:
    """How a replica another resource's answer names is placed: by the region of its ARN, or (an identifier)
    in the region the answer was read in."""
    parsed = parse_arn(value)
    where = f"the region of its ARN, {parsed.region}" if parsed is not None else f"{scope.region}, where it was read"
    return (f"{call} {arn} {field} = {value!r} (account {scope.account}, region {scope.region}): {where}",)


def translate_instances(scope: Scope, instances: list[Any],
                        tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each instance, each of its read replicas, each replication of its automated backups."""
    records = []
    for db in instances:
        arn = db["DBInstanceArn"]
        values = {"identifier": db["DBInstanceIdentifier"], "id": db.get("DbiResourceId"),
                  "engine": db.get("Engine"), "storage_encrypted": db.get("StorageEncrypted"),
                  "kms_key_id": db.get("KmsKeyId"),
                  "replicate_source_db": db.get("ReadReplicaSourceDBInstanceIdentifier"),
                  "tags": dict(tags.get(arn) or tag_map(db.get("TagList")))}
        records.append(live_record(scope, arn, "aws_db_instance", values, "rds:DescribeDBInstances",
                                   fields={"replicate_source_db": "DBInstances[].ReadReplicaSourceDBInstanceIdentifier",
                                           "kms_key_id": "DBInstances[].KmsKeyId"}))
        for index, replica in enumerate(db.get("ReadReplicaDBInstanceIdentifiers") or []):
            where, replica_arn = _elsewhere(scope, replica, "db")
            values = {"identifier": replica_arn.rsplit(":", 1)[-1], "replicate_source_db": arn}
            records.append(live_record(where, replica_arn, "aws_db_instance", values, "rds:DescribeDBInstances",
                                       how=_named(scope, "rds:DescribeDBInstances", arn,
                                                  f"DBInstances[].ReadReplicaDBInstanceIdentifiers[{index}]", replica),
                                       fields={"replicate_source_db": "DBInstances[].DBInstanceArn"}, asked=scope))
        for replication in db.get("DBInstanceAutomatedBackupsReplications") or []:
            where, backup_arn = _elsewhere(scope, replication["DBInstanceAutomatedBackupsArn"], "auto-backup")
            records.append(live_record(where, backup_arn, "aws_db_instance_automated_backups_replication",
                                       {"source_db_instance_arn": arn},
                                       "rds:DescribeDBInstances DBInstanceAutomatedBackupsReplications"))
    return records


def translate_clusters(scope: Scope, clusters: list[Any], global_clusters: list[Any],
                       tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each cluster, its cross-region replica clusters, and the global databases it belongs to with their members."""
    group_of = {m["DBClusterArn"]: g for g in global_clusters for m in g.get("GlobalClusterMembers") or []}
    records = []
    for cluster in clusters:
        arn = cluster["DBClusterArn"]
        group = group_of.get(arn)
        values = {"cluster_identifier": cluster["DBClusterIdentifier"], "id": cluster["DBClusterIdentifier"],
                  "engine": cluster.get("Engine"),
                  "replication_source_identifier": cluster.get("ReplicationSourceIdentifier"),
                  "global_cluster_identifier": group["GlobalClusterIdentifier"] if group else None,
                  "tags": dict(tags.get(arn) or tag_map(cluster.get("TagList")))}
        source = {"replication_source_identifier": "DBClusters[].ReplicationSourceIdentifier"}
        records.append(live_record(scope, arn, "aws_rds_cluster", values, "rds:DescribeDBClusters", fields=source))
        for index, replica in enumerate(cluster.get("ReadReplicaIdentifiers") or []):
            where, replica_arn = _elsewhere(scope, replica, "cluster")
            records.append(live_record(where, replica_arn, "aws_rds_cluster",
                                       {"cluster_identifier": replica_arn.rsplit(":", 1)[-1],
                                        "replication_source_identifier": arn}, "rds:DescribeDBClusters",
                                       how=_named(scope, "rds:DescribeDBClusters", arn,
                                                  f"DBClusters[].ReadReplicaIdentifiers[{index}]", replica),
                                       fields={"replication_source_identifier": "DBClusters[].DBClusterArn"},
                                       asked=scope))
    for group in {id(g): g for g in group_of.values() if any(c["DBClusterArn"] in group_of for c in clusters)}.values():
        identifier = group["GlobalClusterIdentifier"]
        records.append(live_record(scope, group["GlobalClusterArn"], "aws_rds_global_cluster",
                                   {"global_cluster_identifier": identifier, "id": identifier},
                                   "rds:DescribeGlobalClusters"))
        for member in group.get("GlobalClusterMembers") or []:
            where, member_arn = _elsewhere(scope, member["DBClusterArn"], "cluster")
            records.append(live_record(where, member_arn, "aws_rds_cluster",
                                       {"cluster_identifier": member_arn.rsplit(":", 1)[-1],
                                        "global_cluster_identifier": identifier},
                                       "rds:DescribeGlobalClusters GlobalClusterMembers"))
    return records


def translate_rds(scope: Scope, answers: RdsResponses, tags: Mapping[str, Mapping[str, str]],
                  arns: Sequence[str] = ()) -> list[ResourceRecord]:
    """Records of one region's answers; the DWP databases and clusters (``arns``) of a failed answer are placed by
    their ARNs, each with replicas in unknown places."""
    records = []
    if isinstance(answers.instances, list):
        records.extend(translate_instances(scope, answers.instances, tags))
    elif isinstance(answers.instances, Failed):
        records.extend(unread(scope, answers.instances, [a for a in arns if ":db:" in a], tags))
    if isinstance(answers.clusters, list):
        groups = answers.global_clusters if isinstance(answers.global_clusters, list) else []
        records.extend(translate_clusters(scope, answers.clusters, groups, tags))
    elif isinstance(answers.clusters, Failed):
        records.extend(unread(scope, answers.clusters, [a for a in arns if ":cluster:" in a], tags))
    return records


_UNREAD = {"db": ("aws_db_instance", "replicate_source_db", "rds:DescribeDBInstances"),
           "cluster": ("aws_rds_cluster", "replication_source_identifier", "rds:DescribeDBClusters")}


def unread(scope: Scope, failed: Failed, arns: Sequence[str],
           tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Each database or cluster the failed call would have described, placed by its ARN and saying which call
    failed, and its read replicas, in places unknown."""
    records = []
    for arn in arns:
        kind = "cluster" if ":cluster:" in arn else "db"
        resource_type, source, call = _UNREAD[kind]
        records.append(located_record(scope, arn, resource_type, tags.get(arn) or {}, call,
                                      failed.unknown(f"the {'cluster' if kind == 'cluster' else 'database'} {arn}")))
        where = failed.unknown(f"where the read replicas of {arn} are")
        records.append(live_record(scope, "", resource_type, {source: arn}, call, address=f"{arn}?replicas",
                                   region=where, stand_in=True, how=(f"{call} {arn} failed: {where.reason}",)))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """RDS for one (account, region)."""
    return translate_rds(work.scope, fetch_rds(work), work.tags, work.arns)
