"""ARNs: what the Resource Groups Tagging API returns, read into service, region, account and resource."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$"
)
_NO_KIND = {"s3": "bucket", "sqs": "queue", "sns": "topic"}
"""Services whose ARNs name the resource with no type segment."""

TERRAFORM_TYPES: dict[tuple[str, str], str] = {
    ("s3", "bucket"): "aws_s3_bucket",
    ("rds", "db"): "aws_db_instance",
    ("rds", "cluster"): "aws_rds_cluster",
    ("rds", "global-cluster"): "aws_rds_global_cluster",
    ("dynamodb", "table"): "aws_dynamodb_table",
    ("kms", "key"): "aws_kms_key",
    ("secretsmanager", "secret"): "aws_secretsmanager_secret",
    ("logs", "log-group"): "aws_cloudwatch_log_group",
    ("firehose", "deliverystream"): "aws_kinesis_firehose_delivery_stream",
    ("ec2", "vpc"): "aws_vpc",
    ("ec2", "vpc-peering-connection"): "aws_vpc_peering_connection",
    ("ec2", "transit-gateway"): "aws_ec2_transit_gateway",
    ("ec2", "instance"): "aws_instance",
    ("ec2", "volume"): "aws_ebs_volume",
    ("ec2", "snapshot"): "aws_ebs_snapshot",
    ("lambda", "function"): "aws_lambda_function",
    ("ecr", "repository"): "aws_ecr_repository",
    ("ecs", "cluster"): "aws_ecs_cluster",
    ("ecs", "service"): "aws_ecs_service",
    ("ecs", "task-definition"): "aws_ecs_task_definition",
    ("backup", "backup-plan"): "aws_backup_plan",
    ("backup", "backup-vault"): "aws_backup_vault",
    ("cloudfront", "distribution"): "aws_cloudfront_distribution",
    ("iam", "role"): "aws_iam_role",
    ("sqs", "queue"): "aws_sqs_queue",
    ("sns", "topic"): "aws_sns_topic",
    ("kinesis", "stream"): "aws_kinesis_stream",
    ("elasticfilesystem", "file-system"): "aws_efs_file_system",
    ("elasticache", "cluster"): "aws_elasticache_cluster",
    ("es", "domain"): "aws_opensearch_domain",
    ("redshift", "cluster"): "aws_redshift_cluster",
}
"""(service, resource kind) -> the Terraform type a resource of that kind has."""


@dataclass(frozen=True)
class Arn:
    """One ARN, split."""

    partition: str
    service: str
    region: str
    """Empty for global resources (S3 buckets, IAM, CloudFront)."""
    account: str
    """Empty for S3 buckets."""
    kind: str
    """The resource type segment (``db``, ``log-group``, ``table``); ``bucket`` for S3."""
    name: str
    """What follows the kind (a log group's name, a table's name, a bucket's name)."""

    @property
    def terraform_type(self) -> str | None:
        """The Terraform type of the resource, if offshore-scan knows it."""
        return TERRAFORM_TYPES.get((self.service, self.kind))


def parse_arn(value: str) -> Arn | None:
    """The parts of an ARN; None for anything else."""
    match = _ARN.match(value)
    if match is None:
        return None
    service, rest = match["service"], match["rest"]
    if service in _NO_KIND:
        kind, name = _NO_KIND[service], rest
    else:
        parts = re.split(r"[:/]", rest, maxsplit=1)
        kind, name = parts[0], parts[1] if len(parts) > 1 else ""
    return Arn(match["partition"], service, match["region"], match["account"], kind, name)


def log_group_arn(arn: str) -> str:
    """A log group's ARN without the ``:*`` that DescribeLogGroups appends."""
    return arn[:-2] if arn.endswith(":*") else arn
