"""EFS: each DWP file system (``DescribeFileSystems``), its policy (``DescribeFileSystemPolicy``) and where it is
replicated (``DescribeReplicationConfigurations``: ``Destinations[].Region``, ``FileSystemId``), as
``aws_efs_file_system``, ``aws_efs_file_system_policy`` and ``aws_efs_replication_configuration``.

A replica is a whole copy of the file system in its destination region: a destination outside the UK is DWP data
hosted there. Three calls per DWP file system, whatever else the account holds. This collector reads file systems
closely, so the generic reader (Cloud Control, which would read the replication a second time as a property of
the file system) does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import policy_text
from providers.aws.records import Scope, live_record, located_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "efs"
_REPLICATION = "elasticfilesystem:DescribeReplicationConfigurations"
_DESTINATION_FIELDS = {"destination.region": "Replications[].Destinations[].Region",
                       "destination.file_system_id": "Replications[].Destinations[].FileSystemId"}


@dataclass(frozen=True)
class FileSystemResponses:
    """The answers about one DWP file system: ``None`` where AWS says there is none (no policy, no replication,
    the file system gone), ``Failed`` where the call gave no answer."""

    arn: str
    file_system: list[Any] | Failed | None
    policy: Response
    replications: list[Any] | Failed | None


def fetch_file_system(work: Work, arn: str) -> FileSystemResponses:
    """The three reads of one file system, by its id."""
    efs = work.client(SERVICE)
    identifier = _identifier(arn)
    described = efs.pages("describe_file_systems", "FileSystems", absent=("FileSystemNotFound",),
                          expect=("FileSystemId",), FileSystemId=identifier)
    policy = efs.call("describe_file_system_policy", absent=("PolicyNotFound",), FileSystemId=identifier)
    replications = efs.pages("describe_replication_configurations", "Replications", absent=("ReplicationNotFound",),
                             expect=("SourceFileSystemId", "Destinations"), FileSystemId=identifier)
    return FileSystemResponses(arn, described, policy, replications)


def _identifier(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.name.rsplit("/", 1)[-1] if parsed is not None else arn


def translate_file_system(scope: Scope, answers: FileSystemResponses,
                          tags: Mapping[str, Mapping[str, str]]) -> list[ResourceRecord]:
    """The file system, its policy and its replication. A failed read of the file system leaves it to the
    coverage notes (placed by its ARN); a failed policy or replication read is an unknown one, never none."""
    arn, identifier = answers.arn, _identifier(answers.arn)
    records = []
    if isinstance(answers.file_system, Failed):
        records.append(located_record(scope, arn, "aws_efs_file_system", tags.get(arn) or {},
                                      "elasticfilesystem:DescribeFileSystems",
                                      answers.file_system.unknown(f"the file system {arn}")))
    elif isinstance(answers.file_system, list):
        for item in answers.file_system[:1]:
            values = {"id": item["FileSystemId"], "name": item.get("Name"),
                      "creation_token": item.get("CreationToken"), "encrypted": item.get("Encrypted"),
                      "kms_key_id": item.get("KmsKeyId"), "performance_mode": item.get("PerformanceMode"),
                      "throughput_mode": item.get("ThroughputMode"),
                      "availability_zone_name": item.get("AvailabilityZoneName"),
                      "tags": dict(tags.get(arn) or tag_map(item.get("Tags")))}
            records.append(live_record(scope, arn, "aws_efs_file_system", values,
                                       "elasticfilesystem:DescribeFileSystems",
                                       fields={"kms_key_id": "FileSystems[].KmsKeyId",
                                               "availability_zone_name": "FileSystems[].AvailabilityZoneName"}))
    if answers.policy is not None:
        policy = answers.policy.unknown(f"the file system policy of {arn}") if isinstance(answers.policy, Failed) \
            else policy_text(answers.policy.get("Policy"))
        records.append(live_record(scope, "", "aws_efs_file_system_policy",
                                   {"file_system_id": identifier, "policy": policy},
                                   "elasticfilesystem:DescribeFileSystemPolicy", address=f"{arn}?policy"))
    records.extend(translate_replications(scope, arn, answers.replications))
    return records


def translate_replications(scope: Scope, arn: str, replications: list[Any] | Failed | None) -> list[ResourceRecord]:
    """Each replication of the file system as ``aws_efs_replication_configuration`` (its destinations as blocks);
    an unreadable one is a replication to an unknown region."""
    identifier = _identifier(arn)
    if replications is None:
        return []
    if isinstance(replications, Failed):
        unknown = replications.unknown(f"where {arn} is replicated")
        return [live_record(scope, "", "aws_efs_replication_configuration",
                            {"source_file_system_id": identifier,
                             "destination": [{"region": unknown, "file_system_id": unknown}]},
                            _REPLICATION, address=f"{arn}?replication", stand_in=True)]
    records = []
    for replication in replications:
        # The file system read may be a destination: the configuration is the source's, where it was created.
        source = replication.get("SourceFileSystemArn") or arn
        parsed = parse_arn(source)
        where = Scope(parsed.account or scope.account, parsed.region or scope.region) if parsed else scope
        destinations = [{"region": d.get("Region"), "file_system_id": d.get("FileSystemId"), "status": d.get("Status")}
                        for d in replication["Destinations"] if isinstance(d, Mapping)]
        records.append(live_record(where, "", "aws_efs_replication_configuration",
                                   {"source_file_system_id": replication["SourceFileSystemId"],
                                    "destination": destinations},
                                   _REPLICATION, address=f"{source}?replication", asked=scope,
                                   fields={"source_file_system_id": "Replications[].SourceFileSystemId",
                                           **_DESTINATION_FIELDS}))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """The DWP file systems of one (account, region)."""
    return [record for arn in work.arns if _is_file_system(arn)
            for record in translate_file_system(work.scope, fetch_file_system(work, arn), work.tags)]


def _is_file_system(arn: str) -> bool:
    parsed = parse_arn(arn)
    return parsed is not None and parsed.kind == "file-system"
