"""The receivers a scan's records name but did not read: read them too, so each flow can be placed.

A replication rule names its destination bucket, a subscription filter its Firehose stream, a stream
its buckets; S3 ARNs carry no region and a stream's destinations are inside it, so without these
reads the flows would be unknown. Only receivers of what was read are followed: the cost grows with
DWP resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

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
    # A bucket, a log group or a Firehose stream: only an S3 ARN names a bucket.
    "aws_route53_resolver_query_log_config": ("destination_arn",),
    "aws_s3control_multi_region_access_point": ("details.region.bucket",),
}
_BUCKET_URL_PATHS = {
    "aws_athena_workgroup": ("configuration.result_configuration.output_location",),
    "aws_glue_job": ("command.script_location", "default_arguments", "non_overridable_arguments"),
}
"""Paths whose values name a bucket only as an ``s3://bucket/prefix`` URL (a job's other arguments are flags)."""
_RECEIVER_PATHS = {
    "aws_cloudwatch_log_subscription_filter": ("destination_arn",),
    "aws_cloudwatch_log_destination": ("target_arn",),
    "aws_cloudwatch_metric_stream": ("firehose_arn",),
    "aws_route53_resolver_query_log_config": ("destination_arn",),
    "aws_api_gateway_stage": ("access_log_settings.destination_arn",),
    "aws_apigatewayv2_stage": ("access_log_settings.destination_arn",),
    # The function a DWP queue's or stream's mapping hands its records to, and a function's asynchronous
    # destinations: a function passes data on as its settings say (a log forwarder's site).
    "aws_lambda_event_source_mapping": ("function_name",),
    "aws_lambda_function_event_invoke_config": ("destination_config.on_success.destination",
                                                "destination_config.on_failure.destination"),
}
_SERVICES = {"firehose": "firehose", "logs": "logs", "lambda": "lambda"}


def _strings(record: ResourceRecord, paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        for value in values_at(record.values, path):
            # A map of arguments (a Glue job's ``default_arguments``): each of its values.
            for item in value.values() if isinstance(value, Mapping) else (value,):
                if isinstance(item, str) and item:
                    yield item


def _bucket_name(value: str, url_only: bool) -> str | None:
    """The bucket a value names: an S3 ARN, an ``s3://`` URL, or (unless ``url_only``) a plain name."""
    if value.startswith("s3://"):
        return value.removeprefix("s3://").split("/", 1)[0] or None
    if url_only or "://" in value or (value.startswith("arn:") and not value.startswith("arn:aws:s3:::")):
        return None  # a log group, a stream, a flag: no bucket
    return value.removeprefix("arn:aws:s3:::").split("/", 1)[0] or None


def wanted_buckets(records: Iterable[ResourceRecord]) -> list[tuple[str, str]]:
    """(account, bucket name) of every bucket a record names and no record is; asked in the naming account."""
    records = list(records)
    have = {r.values.get("bucket") for r in records if r.type == "aws_s3_bucket"}
    wanted: dict[str, str] = {}
    for record in records:
        named = [*((v, False) for v in _strings(record, _BUCKET_PATHS.get(record.type, ()))),
                 *((v, True) for v in _strings(record, _BUCKET_URL_PATHS.get(record.type, ())))]
        for value, url_only in named:
            name = _bucket_name(value, url_only)
            if name and name not in have and record.placement.account:
                wanted.setdefault(name, record.placement.account)
    return sorted((account, name) for name, account in wanted.items())


def wanted_regional(records: Iterable[ResourceRecord]) -> list[tuple[str, str]]:
    """(ARN, service) of every Firehose stream, Logs destination or Lambda function a record names and no record
    is."""
    records = list(records)
    have = {r.address for r in records}
    wanted: dict[str, str] = {}
    for record in records:
        for value in _strings(record, _RECEIVER_PATHS.get(record.type, ())):
            parsed = parse_arn(value)
            # A log group is placed by its ARN's region; Logs destinations and Firehose streams are read.
            if parsed is not None and parsed.service in _SERVICES and value not in have and parsed.kind != "log-group":
                wanted.setdefault(value, _SERVICES[parsed.service])
    return sorted(wanted.items())
