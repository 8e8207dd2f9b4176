"""Kinesis Data Firehose: where each delivery stream delivers, in the schema's ``destination`` and
``*_configuration`` blocks (the shared meaning follows the data on from there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.aws.calls import Failed, Response
from providers.aws.collectors import Work
from providers.aws.records import Scope, live_record
from providers.semantics.records import ResourceRecord

SERVICE = "firehose"

# Response description key -> (schema `destination`, configuration block, response key -> schema attribute)
_DESTINATIONS: tuple[tuple[str, str, str, Mapping[str, str]], ...] = (
    ("ExtendedS3DestinationDescription", "extended_s3", "extended_s3_configuration", {"BucketARN": "bucket_arn"}),
    ("HttpEndpointDestinationDescription", "http_endpoint", "http_endpoint_configuration", {}),
    ("SplunkDestinationDescription", "splunk", "splunk_configuration", {"HECEndpoint": "hec_endpoint"}),
    ("SnowflakeDestinationDescription", "snowflake", "snowflake_configuration", {"AccountUrl": "account_url"}),
    ("AmazonopensearchserviceDestinationDescription", "opensearch", "opensearch_configuration",
     {"DomainARN": "domain_arn"}),
    ("ElasticsearchDestinationDescription", "elasticsearch", "elasticsearch_configuration",
     {"DomainARN": "domain_arn"}),
    ("RedshiftDestinationDescription", "redshift", "redshift_configuration", {"ClusterJDBCURL": "cluster_jdbcurl"}),
    ("IcebergDestinationDescription", "iceberg", "iceberg_configuration", {}),
    ("S3DestinationDescription", "s3", "s3_configuration", {"BucketARN": "bucket_arn"}),
)


def fetch_stream(work: Work, arn: str) -> Response:
    """DescribeDeliveryStream."""
    return work.client(SERVICE).call("describe_delivery_stream", DeliveryStreamName=arn.rsplit("/", 1)[-1])


def _s3(description: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [{"bucket_arn": description.get("BucketARN")}] if description else []


def _configuration(key: str, fields: Mapping[str, str], description: Mapping[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = {attribute: description.get(field) for field, attribute in fields.items()}
    if key == "HttpEndpointDestinationDescription":
        endpoint = description.get("EndpointConfiguration") or {}
        block.update(url=endpoint.get("Url"), name=endpoint.get("Name"))
    if key == "IcebergDestinationDescription":
        block["catalog_arn"] = (description.get("CatalogConfiguration") or {}).get("CatalogARN")
    if key == "ExtendedS3DestinationDescription":
        block["s3_backup_configuration"] = _s3(description.get("S3BackupDescription"))
    elif key != "S3DestinationDescription":
        block["s3_configuration"] = _s3(description.get("S3DestinationDescription"))
    return block


def translate_stream(scope: Scope, arn: str, answer: Response, tags: Mapping[str, str] | None) -> list[ResourceRecord]:
    """The stream as an ``aws_kinesis_firehose_delivery_stream``; an unreadable one delivers to an unknown place."""
    name = arn.rsplit("/", 1)[-1]
    values: dict[str, Any] = {"name": name, "tags": dict(tags or {})}
    answered: dict[str, str] = {}
    if isinstance(answer, Failed):
        values["destination"] = answer.unknown(f"where Firehose stream {name} delivers")
    else:
        description = (answer or {}).get("DeliveryStreamDescription") or {}
        source = (description.get("Source") or {}).get("KinesisStreamSourceDescription")
        if source:
            values["kinesis_source_configuration"] = [{"kinesis_stream_arn": source.get("KinesisStreamARN")}]
        for destination in (description.get("Destinations") or [])[:1]:
            for key, kind, block, fields in _DESTINATIONS:
                if key in destination:
                    values["destination"] = kind
                    values[block] = [_configuration(key, fields, destination[key])]
                    answered.update(_answered(key, block, fields))
                    break
    return [live_record(scope, arn, "aws_kinesis_firehose_delivery_stream", values, "firehose:DescribeDeliveryStream",
                        fields=answered)]


def _answered(key: str, block: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Which field of the answer gave each destination attribute (the first destination's)."""
    at = f"DeliveryStreamDescription.Destinations[0].{key}"
    named = {f"{block}.{attribute}": f"{at}.{field}" for field, attribute in fields.items()}
    if key == "HttpEndpointDestinationDescription":
        named[f"{block}.url"] = f"{at}.EndpointConfiguration.Url"
    named[f"{block}.s3_configuration.bucket_arn"] = f"{at}.S3DestinationDescription.BucketARN"
    named[f"{block}.s3_backup_configuration.bucket_arn"] = f"{at}.S3BackupDescription.BucketARN"
    return named


def collect(work: Work) -> list[ResourceRecord]:
    """Firehose for one (account, region)."""
    return [record for arn in work.arns if ":deliverystream/" in arn
            for record in translate_stream(work.scope, arn, fetch_stream(work, arn), work.tags.get(arn))]
