"""The receivers a scan's records name but did not read: read them too, so each flow can be placed.

A replication rule names its destination bucket, a subscription filter its Firehose stream, a stream
its buckets; S3 ARNs carry no region and a stream's destinations are inside it, so without these
reads the flows would be unknown. Only receivers of what was read are followed: the cost grows with
DWP resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from providers.aws.arns import parse_arn
from providers.semantics.context import values_at
from providers.semantics.records import ResourceRecord

_BUCKET_PATHS = {
    "aws_s3_bucket_replication_configuration": ("rule.destination.bucket",),
    "aws_s3_bucket_logging": ("target_bucket",),
    "aws_kinesis_firehose_delivery_stream": ("extended_s3_configuration.bucket_arn", "s3_configuration.bucket_arn",
                                             "extended_s3_configuration.s3_backup_configuration.bucket_arn",
                                             "http_endpoint_configuration.s3_configuration.bucket_arn",
                                             "splunk_configuration.s3_configuration.bucket_arn"),
    "aws_cloudtrail": ("s3_bucket_name",),
    "aws_config_delivery_channel": ("s3_bucket_name",),
    "aws_dynamodb_table_export": ("s3_bucket",),
    "aws_s3_bucket_inventory": ("destination.bucket.bucket_arn",),
    "aws_s3_bucket_analytics_configuration": (
        "storage_class_analysis.data_export.destination.s3_bucket_destination.bucket_arn",),
    "aws_guardduty_publishing_destination": ("destination_arn",),
}
_RECEIVER_PATHS = {
    "aws_cloudwatch_log_subscription_filter": ("destination_arn",),
    "aws_cloudwatch_log_destination": ("target_arn",),
    "aws_cloudwatch_metric_stream": ("firehose_arn",),
}
_SERVICES = {"firehose": "firehose", "logs": "logs"}


def _strings(record: ResourceRecord, paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        for value in values_at(record.values, path):
            if isinstance(value, str) and value:
                yield value


def wanted_buckets(records: Iterable[ResourceRecord]) -> list[tuple[str, str]]:
    """(account, bucket name) of every bucket a record names and no record is; asked in the naming account."""
    records = list(records)
    have = {r.values.get("bucket") for r in records if r.type == "aws_s3_bucket"}
    wanted: dict[str, str] = {}
    for record in records:
        for value in _strings(record, _BUCKET_PATHS.get(record.type, ())):
            name = value.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            if name and name not in have and record.placement.account:
                wanted.setdefault(name, record.placement.account)
    return sorted((account, name) for name, account in wanted.items())


def wanted_regional(records: Iterable[ResourceRecord]) -> list[tuple[str, str]]:
    """(ARN, service) of every Firehose stream or Logs destination a record names and no record is."""
    records = list(records)
    have = {r.address for r in records}
    wanted: dict[str, str] = {}
    for record in records:
        for value in _strings(record, _RECEIVER_PATHS.get(record.type, ())):
            parsed = parse_arn(value)
            if parsed is not None and parsed.service in _SERVICES and value not in have:
                wanted.setdefault(value, _SERVICES[parsed.service])
    return sorted(wanted.items())
