"""KMS: multi-Region keys and their replicas, key policies and grants.

A primary multi-Region key's answer names its replicas; each becomes an ``aws_kms_replica_key`` where
it is, naming its primary, as in Terraform. A key is the primary when ``PrimaryKey.Arn`` is its own ARN.
Keys AWS manages for a service are read but their policy and grants (AWS's own) are not asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from providers.aws.arns import parse_arn
from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import policy_text
from providers.aws.records import Scope, live_record, located_record
from providers.semantics.records import ResourceRecord, Unknown

SERVICE = "kms"


@dataclass(frozen=True)
class KeyResponses:
    """The answers about one key."""

    arn: str
    description: Response
    policy: Response = None
    grants: list[Any] | Failed | None = None


def fetch_key(work: Work, arn: str) -> KeyResponses:
    """DescribeKey, then (customer keys only) GetKeyPolicy and ListGrants."""
    kms = work.client(SERVICE)
    description = kms.call("describe_key", expect=("KeyMetadata.KeyId",), KeyId=arn)
    if isinstance(description, Mapping) and description.get("KeyMetadata", {}).get("KeyManager") == "AWS":
        return KeyResponses(arn, description)
    return KeyResponses(arn, description, kms.call("get_key_policy", KeyId=arn, PolicyName="default"),
                        kms.pages("list_grants", "Grants", KeyId=arn))


def translate_key(scope: Scope, answers: KeyResponses, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The key (or replica key), the replicas it names, and its grants."""
    arn = answers.arn
    if isinstance(answers.description, Failed):
        return unread_key(scope, arn, answers.description, tags)
    if answers.description is None:
        return []
    metadata = answers.description["KeyMetadata"]
    policy: Any = (answers.policy.unknown(f"the policy of key {arn}") if isinstance(answers.policy, Failed)
                   else policy_text((answers.policy or {}).get("Policy")))
    multi = metadata.get("MultiRegionConfiguration") or {}
    values: dict[str, Any] = {"key_id": metadata["KeyId"], "id": metadata["KeyId"], "tags": dict(tags or {}),
                              "multi_region": metadata.get("MultiRegion", False),
                              "description": metadata.get("Description")}
    if answers.policy is not None:
        values["policy"] = policy
    records = []
    fields = {"multi_region": "KeyMetadata.MultiRegion", "policy": "Policy", "key_id": "KeyMetadata.KeyId"}
    if _is_replica(arn, metadata, multi):
        values["primary_key_arn"] = (multi.get("PrimaryKey") or {}).get("Arn")
        fields["primary_key_arn"] = "KeyMetadata.MultiRegionConfiguration.PrimaryKey.Arn"
        records.append(live_record(scope, arn, "aws_kms_replica_key", values, "kms:DescribeKey", fields=fields))
    else:
        records.append(live_record(scope, arn, "aws_kms_key", values, "kms:DescribeKey", fields=fields))
        for index, replica in enumerate(multi.get("ReplicaKeys") or []):
            if replica["Arn"] == metadata.get("Arn", arn):
                continue
            records.append(_replica(scope, arn, index, replica))
    if isinstance(answers.grants, Failed):
        records.append(_unknown_grant(scope, arn, answers.grants.unknown(f"who key {arn} is granted to")))
    elif isinstance(answers.grants, list):
        for grant in answers.grants:
            values = {"key_id": arn, "grant_id": grant.get("GrantId"), "name": grant.get("Name"),
                      "grantee_principal": grant.get("GranteePrincipal"),
                      "retiring_principal": grant.get("RetiringPrincipal"), "operations": grant.get("Operations")}
            records.append(live_record(scope, "", "aws_kms_grant", values, "kms:ListGrants",
                                       address=f"{arn}?grant={grant.get('GrantId')}"))
    return records


def unread_key(scope: Scope, arn: str, failed: Failed, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """A key whose ``DescribeKey`` failed: placed by its ARN, saying which call failed; its policy, its replicas
    and its grants unknown (whether it is a multi-Region primary, and whether AWS manages it, is what the call
    would have said, so nothing more is asked of it)."""
    key = located_record(scope, arn, "aws_kms_key", tags or {}, "kms:DescribeKey", failed.unknown(f"key {arn}"))
    key = replace(key, values={**key.values, "policy": failed.unknown(f"the policy of key {arn}")})
    where = failed.unknown(f"where key {arn} is replicated")
    replicas = live_record(scope, "", "aws_kms_replica_key",
                           {"primary_key_arn": arn, "key_id": where}, "kms:DescribeKey", address=f"{arn}?replicas",
                           region=where, stand_in=True, how=(f"kms:DescribeKey {arn} failed: {where.reason}",))
    return [key, replicas, _unknown_grant(scope, arn, failed.unknown(f"who key {arn} is granted to"))]


def _unknown_grant(scope: Scope, arn: str, who: Unknown) -> ResourceRecord:
    """A grant of ``arn`` to an unknown grantee: the grants were not read."""
    values = {"key_id": arn, "grant_id": None, "name": None, "grantee_principal": who, "retiring_principal": None,
              "operations": None}
    return live_record(scope, "", "aws_kms_grant", values, "kms:ListGrants", address=f"{arn}?grants",
                       stand_in=True)


def _replica(scope: Scope, primary: str, index: int, replica: Mapping[str, Any]) -> ResourceRecord:
    """A replica key the primary's answer names: placed by the region that answer gives it, which the
    finding's ``how`` cites (the call, the key asked about and the field)."""
    field = f"KeyMetadata.MultiRegionConfiguration.ReplicaKeys[{index}]"
    parsed = parse_arn(replica["Arn"])
    region = replica.get("Region") or (parsed.region if parsed else scope.region)
    said = "Region" if replica.get("Region") else "Arn"
    how = (f"kms:DescribeKey {primary} {field}.{said} = {region!r} (account {scope.account}, region {scope.region})",)
    return live_record(Scope(scope.account, region), replica["Arn"], "aws_kms_replica_key",
                       {"primary_key_arn": primary, "key_id": replica["Arn"].rsplit("/", 1)[-1]}, "kms:DescribeKey",
                       how=how, fields={"primary_key_arn": "KeyMetadata.Arn", "key_id": f"{field}.Arn"}, asked=scope)


def _is_replica(arn: str, metadata: Mapping[str, Any], multi: Mapping[str, Any]) -> bool:
    """A replica is a key whose primary is another key: ``PrimaryKey.Arn`` decides, not ``MultiRegionKeyType``
    (moto labels a primary ``REPLICA``); the label only when no primary is named."""
    primary = (multi.get("PrimaryKey") or {}).get("Arn")
    if primary:
        return bool(primary != metadata.get("Arn", arn))
    return bool(multi.get("MultiRegionKeyType") == "REPLICA")


def collect(work: Work) -> list[ResourceRecord]:
    """KMS for one (account, region)."""
    records = []
    for arn in work.arns:
        if (parsed := parse_arn(arn)) is not None and parsed.kind == "key":
            records.extend(translate_key(work.scope, fetch_key(work, arn), work.tags.get(arn)))
    return records
