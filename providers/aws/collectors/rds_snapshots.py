"""RDS and Aurora snapshots: the manual snapshots of DWP databases, their copies (in any region, from any
account), and who each is shared with (the ``restore`` attribute: account ids, or ``all``, public).

Run in every enabled region: a copy carries no tag of its source and the Tagging API cannot say what it copies,
so each region lists its account's manual snapshots (``DescribeDBSnapshots`` / ``DescribeDBClusterSnapshots``,
``SnapshotType=manual``: one call per hundred) and keeps those of the region's DWP databases and clusters, the
DWP snapshots themselves, and the copies (a cross-region or cross-account copy names its source by ARN in
``SourceDBSnapshotIdentifier`` / ``SourceDBClusterSnapshotArn``). Each kept snapshot's sharing is read
(``DescribeDBSnapshotAttributes`` / ``DescribeDBClusterSnapshotAttributes``). The shared meaning finds a copy's
source wherever it was read, so the copy is DWP as a copy of it; a source no region read (an automated snapshot,
another account's) is recorded where its ARN places it, naming its database, from the copy's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "rds"
_PUBLIC = "all"


@dataclass(frozen=True)
class Kind:
    """What differs between instance snapshots and cluster snapshots."""

    list_method: str
    list_key: str
    identifier: str
    """The answer's snapshot identifier field."""
    arn: str
    """The answer's snapshot ARN field."""
    database: str
    """The answer's field naming the database the snapshot is of."""
    database_kind: str
    """The database's ARN resource kind (``db``, ``cluster``)."""
    source: str
    """The answer's field naming a copy's source snapshot (an ARN)."""
    attributes_method: str
    attributes_key: str
    attributes_list: str
    attributes_parameter: str
    snapshot_type: str
    copy_type: str
    database_attribute: str
    """The Terraform attribute naming the database (``db_instance_identifier``)."""
    source_attribute: str
    """The Terraform attribute naming a copy's source (``source_db_snapshot_identifier``)."""
    identifier_attribute: str
    """The Terraform attribute naming the snapshot (``db_snapshot_identifier``)."""
    target_attribute: str
    """The Terraform attribute naming a copy (``target_db_snapshot_identifier``)."""


INSTANCE = Kind("describe_db_snapshots", "DBSnapshots", "DBSnapshotIdentifier", "DBSnapshotArn",
                "DBInstanceIdentifier", "db", "SourceDBSnapshotIdentifier", "describe_db_snapshot_attributes",
                "DBSnapshotAttributesResult", "DBSnapshotAttributes", "DBSnapshotIdentifier", "aws_db_snapshot",
                "aws_db_snapshot_copy", "db_instance_identifier", "source_db_snapshot_identifier",
                "db_snapshot_identifier", "target_db_snapshot_identifier")
CLUSTER = Kind("describe_db_cluster_snapshots", "DBClusterSnapshots", "DBClusterSnapshotIdentifier",
               "DBClusterSnapshotArn", "DBClusterIdentifier", "cluster", "SourceDBClusterSnapshotArn",
               "describe_db_cluster_snapshot_attributes", "DBClusterSnapshotAttributesResult",
               "DBClusterSnapshotAttributes", "DBClusterSnapshotIdentifier", "aws_db_cluster_snapshot",
               "aws_rds_cluster_snapshot_copy", "db_cluster_identifier",
               "source_db_cluster_snapshot_identifier", "db_cluster_snapshot_identifier",
               "target_db_cluster_snapshot_identifier")
KINDS = (INSTANCE, CLUSTER)


@dataclass(frozen=True)
class SnapshotAnswers:
    """One kind's answers in one region."""

    kind: Kind
    listed: list[Any] | Failed | None
    """The kept manual snapshots (or why the listing failed)."""
    attributes: Mapping[str, Response]
    """Snapshot ARN -> its DescribeDB(Cluster)SnapshotAttributes answer."""


def kept(work: Work, kind: Kind, listed: list[Any]) -> list[Any]:
    """Snapshots of the region's DWP databases or clusters, DWP snapshots, and copies (whose source decides);
    every snapshot in a wholly DWP account, whose database may be gone or in another region."""
    if work.whole_account:
        return list(listed)
    databases = {p.name for a in work.arns if (p := parse_arn(a)) is not None and p.kind == kind.database_kind}
    return [s for s in listed if s.get(kind.database) in databases or s[kind.arn] in work.arns
            or s.get(kind.source)]


def fetch_kind(work: Work, kind: Kind) -> SnapshotAnswers:
    """The region's manual snapshots of one kind, those kept, and each kept one's sharing."""
    rds = work.client(SERVICE)
    listed = rds.pages(kind.list_method, kind.list_key, expect=(kind.identifier, kind.arn), SnapshotType="manual")
    if not isinstance(listed, list):
        return SnapshotAnswers(kind, listed, {})
    found = kept(work, kind, listed)
    attributes = {s[kind.arn]: rds.call(kind.attributes_method, expect=(kind.attributes_key,),
                                        **{kind.attributes_parameter: s[kind.identifier]}) for s in found}
    return SnapshotAnswers(kind, found, attributes)


def shared_accounts(answer: Response, kind: Kind, name: str) -> Any:
    """The ``restore`` attribute's values (account ids, ``all`` for public), or an ``Unknown`` if unread."""
    if isinstance(answer, Failed):
        return answer.unknown(f"who snapshot {name} is shared with")
    attributes = ((answer or {}).get(kind.attributes_key) or {}).get(kind.attributes_list) or []
    return sorted({str(v) for a in attributes if a.get("AttributeName") == "restore"
                   for v in a.get("AttributeValues") or []})


def _database_arn(region: str, account: str, kind: Kind, name: str) -> str:
    return f"arn:aws:rds:{region}:{account}:{kind.database_kind}:{name}"


def translate_kind(scope: Scope, answers: SnapshotAnswers,
                   tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """Snapshots as ``aws_db_snapshot`` / ``aws_db_cluster_snapshot`` (naming their database by ARN), copies as
    ``aws_db_snapshot_copy`` / ``aws_rds_cluster_snapshot_copy`` (naming their source by ARN), each with
    ``shared_accounts``; a copy's source is also recorded where its ARN places it, naming its database."""
    kind = answers.kind
    records: list[ResourceRecord] = []
    for snapshot in answers.listed if isinstance(answers.listed, list) else []:
        arn, name = snapshot[kind.arn], snapshot[kind.identifier]
        call = f"rds:{_operation(kind.list_method)}"
        values: dict[str, Any] = {
            "id": name, kind.identifier_attribute: name, "encrypted": snapshot.get("Encrypted",
                                                                                  snapshot.get("StorageEncrypted")),
            "kms_key_id": snapshot.get("KmsKeyId"),
            "shared_accounts": shared_accounts(answers.attributes.get(arn), kind, name),
            "tags": dict(tags.get(arn) or tag_map(snapshot.get("TagList")))}
        fields = {"shared_accounts": f"(rds:{_operation(kind.attributes_method)} {kind.attributes_key}."
                                     f"{kind.attributes_list}[restore].AttributeValues)",
                  "kms_key_id": f"{kind.list_key}[].KmsKeyId"}
        source = snapshot.get(kind.source)
        if not source:
            values[kind.database_attribute] = _database_arn(scope.region, scope.account, kind,
                                                            str(snapshot.get(kind.database)))
            fields[kind.database_attribute] = f"{kind.list_key}[].{kind.database}"
            records.append(live_record(scope, arn, kind.snapshot_type, values, call, fields=fields))
            continue
        values.update({kind.source_attribute: source, kind.target_attribute: name,
                       "source_region": snapshot.get("SourceRegion")})
        fields.update({kind.source_attribute: f"{kind.list_key}[].{kind.source}",
                       "source_region": f"{kind.list_key}[].SourceRegion"})
        records.append(live_record(scope, arn, kind.copy_type, values, call, fields=fields))
        records.extend(_source(scope, kind, snapshot, source, call))
    return records


def _source(scope: Scope, kind: Kind, snapshot: Mapping[str, Any], source: str, call: str) -> list[ResourceRecord]:
    """The snapshot a copy was made from, where its ARN places it, of the database the copy names (a copy keeps
    its source's database identifier): found by the source's own region too, when that region reads it."""
    parsed = parse_arn(source)
    database = snapshot.get(kind.database)
    if parsed is None or not parsed.region or not database:
        return []
    where = Scope(parsed.account or scope.account, parsed.region)
    name = source.rsplit(":", 1)[-1]
    how = (f"{call} {snapshot[kind.arn]} {kind.list_key}[].{kind.source} = {source!r} (account {scope.account}, "
           f"region {scope.region}): the region of its ARN, {parsed.region}",)
    values = {"id": name, kind.identifier_attribute: name,
              kind.database_attribute: _database_arn(where.region, where.account, kind, str(database))}
    return [live_record(where, source, kind.snapshot_type, values, call, how=how, asked=scope,
                        fields={kind.database_attribute: f"{kind.list_key}[].{kind.database}"})]


def _operation(method: str) -> str:
    return "".join(part.upper() if part == "db" else part.capitalize() for part in method.split("_"))


def collect(work: Work) -> list[ResourceRecord]:
    """RDS and Aurora snapshots for one (account, region)."""
    return [record for kind in KINDS for record in translate_kind(work.scope, fetch_kind(work, kind), work.tags)]
