"""Secrets Manager: where each secret is replicated, and its resource policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.collectors.shapes import policy_text
from providers.aws.records import Scope, live_record, tag_map
from providers.semantics.records import ResourceRecord

SERVICE = "secretsmanager"


@dataclass(frozen=True)
class SecretResponses:
    """The answers about one secret."""

    arn: str
    description: Response
    policy: Response


def fetch_secret(work: Work, arn: str) -> SecretResponses:
    """DescribeSecret (its replicas) and, for a primary, GetResourcePolicy (a replica's policy is its primary's,
    and AWS answers that call only in the primary's region)."""
    client = work.client(SERVICE)
    described = client.call("describe_secret", expect=("ARN",), SecretId=arn)
    if isinstance(described, Mapping) and described.get("PrimaryRegion", work.scope.region) != work.scope.region:
        return SecretResponses(arn, described, None)
    return SecretResponses(arn, described, client.call("get_resource_policy", SecretId=arn))


def translate_secret(scope: Scope, answers: SecretResponses, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The secret as an ``aws_secretsmanager_secret`` with its ``replica`` blocks and inline ``policy``."""
    described = answers.description
    if isinstance(described, Failed):
        replica: Any = [{"region": described.unknown(f"where secret {answers.arn} is replicated")}]
        name: Any = answers.arn.rsplit(":", 1)[-1]
        found_tags: Any = dict(tags or {})
    else:
        described = described or {}
        # A replica (read in its own region) is the primary's copy: hosted here, named only by its ARN, so
        # that the primary's name finds the primary; the primary alone says where it is replicated.
        primary = described.get("PrimaryRegion", scope.region) == scope.region
        replica = [{"region": r.get("Region"), "kms_key_id": r.get("KmsKeyId"), "status": r.get("Status")}
                   for r in described.get("ReplicationStatus") or [] if primary]
        name = described.get("Name") if primary else None
        found_tags = dict(tags or tag_map(described.get("Tags")))
    values: dict[str, Any] = {"name": name, "id": answers.arn, "replica": replica, "tags": found_tags}
    if isinstance(answers.policy, Failed):
        values["policy"] = answers.policy.unknown(f"the policy of secret {answers.arn}")
    elif answers.policy and answers.policy.get("ResourcePolicy"):
        values["policy"] = policy_text(answers.policy["ResourcePolicy"])
    fields = {"name": "Name", "replica.region": "ReplicationStatus[].Region", "policy": "ResourcePolicy"}
    secret = live_record(scope, answers.arn, "aws_secretsmanager_secret", values, "secretsmanager:DescribeSecret",
                         fields=fields)
    return [secret, *_replicas(scope, answers.arn, replica)]


def _replicas(scope: Scope, arn: str, replica: Any) -> list[ResourceRecord]:
    """Each replica the primary's answer names, as the secret it is in its region: named by its own ARN (the
    primary's, in that region), placed by the answer's field, holding no name (the primary's name finds the
    primary) and no tags of its own (a copy of a DWP secret is DWP as its copy)."""
    records = []
    for index, block in enumerate(replica if isinstance(replica, list) else []):
        region = block.get("region") if isinstance(block, Mapping) else None
        parts = arn.split(":")
        if not isinstance(region, str) or len(parts) < 7 or region == scope.region:
            continue
        own = ":".join((*parts[:3], region, *parts[4:]))
        how = (f"secretsmanager:DescribeSecret {arn} ReplicationStatus[{index}].Region = {region!r} "
               f"(account {scope.account}, region {scope.region})",)
        records.append(live_record(Scope(scope.account, region), own, "aws_secretsmanager_secret",
                                   {"name": None, "id": own, "replica": [], "tags": {}},
                                   "secretsmanager:DescribeSecret", how=how, asked=scope))
    return records


def collect(work: Work) -> list[ResourceRecord]:
    """Secrets Manager for one (account, region)."""
    return [record for arn in work.arns if ":secret:" in arn
            for record in translate_secret(work.scope, fetch_secret(work, arn), work.tags.get(arn))]
